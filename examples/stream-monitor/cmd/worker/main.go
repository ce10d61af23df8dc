// Command worker follows one stream on the gateway and logs every new event.
//
// Environment: GATEWAY_URL (default "http://localhost:8080"), STREAM (default
// "events"), INTERVAL (poll interval, default "2s").
package main

import (
	"context"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/example/stream-monitor/internal/api"
	"github.com/example/stream-monitor/internal/ids"
)

func main() {
	interval, err := time.ParseDuration(getenv("INTERVAL", "2s"))
	if err != nil || interval <= 0 {
		log.Fatalf("worker: INTERVAL must be a positive duration like 2s")
	}
	self, err := ids.New("wrk")
	if err != nil {
		log.Fatalf("worker: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	client := api.NewClient(getenv("GATEWAY_URL", "http://localhost:8080"))
	stream := getenv("STREAM", "events")
	log.Printf("worker %s: following stream %q every %s", self, stream, interval)
	follow(ctx, client, stream, interval, self)
}

// follow polls until ctx ends, remembering the last event seen so each event is logged once.
func follow(ctx context.Context, client *api.Client, stream string, interval time.Duration, self string) {
	last := ""
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		events, err := client.Events(ctx, stream, last)
		if err != nil {
			log.Printf("worker %s: %v", self, err)
		}
		for _, ev := range events {
			log.Printf("worker %s: %s %s %s", self, ev.Stream, ev.ID, ev.Payload)
			last = ev.ID
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

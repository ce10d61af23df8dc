// Command gateway serves the stream-monitor event API (see internal/api).
//
// Environment: ADDR (listen address, default ":8080"), KEEP (events kept per
// stream, default 1000).
package main

import (
	"log"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/example/stream-monitor/internal/api"
)

func main() {
	addr := getenv("ADDR", ":8080")
	keep, err := strconv.Atoi(getenv("KEEP", "1000"))
	if err != nil {
		log.Fatalf("gateway: KEEP must be an integer: %v", err)
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           api.NewHandler(api.NewStore(keep)),
		ReadHeaderTimeout: 5 * time.Second,
	}
	log.Printf("gateway: listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

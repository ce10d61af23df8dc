// Command webhook-demo receives webhooks on POST /webhook/{stream} and
// forwards each JSON body to the gateway as an event of that stream.
//
// Environment: ADDR (default ":8081"), GATEWAY_URL (default "http://localhost:8080").
package main

import (
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/example/stream-monitor/internal/api"
)

const maxBodyBytes = 64 << 10

func main() {
	addr := getenv("ADDR", ":8081")
	client := api.NewClient(getenv("GATEWAY_URL", "http://localhost:8080"))
	mux := http.NewServeMux()
	mux.HandleFunc("/webhook/", forward(client))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("webhook-demo: listening on %s", addr)
	log.Fatal(srv.ListenAndServe())
}

func forward(client *api.Client) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		stream := strings.TrimPrefix(r.URL.Path, "/webhook/")
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		ev, err := client.Publish(r.Context(), stream, body)
		if err != nil {
			// The gateway validates stream and payload; pass its verdict on without details.
			log.Printf("webhook-demo: %v", err)
			http.Error(w, "gateway refused the event", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, ev.ID+"\n")
	}
}

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

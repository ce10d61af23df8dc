// Package api is the HTTP interface of stream-monitor: the event model, an
// in-memory store, the gateway's handler and a small client for the worker
// and the webhook demo.
package api

import (
	"encoding/json"
	"sync"
	"time"
)

// Event is one message received on a stream.
type Event struct {
	ID         string          `json:"id"`
	Stream     string          `json:"stream"`
	Payload    json.RawMessage `json:"payload"`
	ReceivedAt time.Time       `json:"received_at"`
}

// Store keeps events per stream in arrival order. It is safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	streams map[string][]Event
	limit   int
}

// NewStore returns a Store that keeps at most limit events per stream
// (oldest dropped first); limit <= 0 means no limit.
func NewStore(limit int) *Store {
	return &Store{streams: map[string][]Event{}, limit: limit}
}

// Append records ev at the end of its stream.
func (s *Store) Append(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	events := append(s.streams[ev.Stream], ev)
	if s.limit > 0 && len(events) > s.limit {
		events = events[len(events)-s.limit:]
	}
	s.streams[ev.Stream] = events
}

// List returns a copy of the stream's events received after the event with
// id after ("" means from the start).
func (s *Store) List(stream, after string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	events := s.streams[stream]
	start := 0
	if after != "" {
		for i, ev := range events {
			if ev.ID == after {
				start = i + 1
				break
			}
		}
	}
	out := make([]Event, len(events)-start)
	copy(out, events[start:])
	return out
}

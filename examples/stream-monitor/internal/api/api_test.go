package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/example/stream-monitor/internal/ids"
)

var fixedTime = time.Date(2026, 2, 2, 0, 10, 0, 0, time.UTC)

func newTestHandler(limit int) *Handler {
	h := NewHandler(NewStore(limit))
	h.Now = func() time.Time { return fixedTime }
	return h
}

func TestHealthz(t *testing.T) {
	rec := httptest.NewRecorder()
	newTestHandler(0).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ok"`) {
		t.Fatalf("GET /healthz = %d %s", rec.Code, rec.Body.String())
	}
}

func TestPublishAndListThroughClient(t *testing.T) {
	srv := httptest.NewServer(newTestHandler(0))
	defer srv.Close()
	c := NewClient(srv.URL)
	ctx := context.Background()

	first, err := c.Publish(ctx, "orders", []byte(`{"n":1}`))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if !ids.Valid(first.ID, "evt") || first.Stream != "orders" || !first.ReceivedAt.Equal(fixedTime) {
		t.Fatalf("Publish returned %+v", first)
	}
	second, err := c.Publish(ctx, "orders", []byte(`{"n":2}`))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}

	all, err := c.Events(ctx, "orders", "")
	if err != nil || len(all) != 2 || all[0].ID != first.ID || all[1].ID != second.ID {
		t.Fatalf("Events = %+v, %v", all, err)
	}
	after, err := c.Events(ctx, "orders", first.ID)
	if err != nil || len(after) != 1 || !bytes.Equal(after[0].Payload, []byte(`{"n":2}`)) {
		t.Fatalf("Events after first = %+v, %v", after, err)
	}
	other, err := c.Events(ctx, "payments", "")
	if err != nil || len(other) != 0 {
		t.Fatalf("Events of an empty stream = %+v, %v", other, err)
	}
}

func TestRejectsBadRequests(t *testing.T) {
	h := newTestHandler(0)
	cases := []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPost, "/v1/streams/orders/events", `not json`, http.StatusBadRequest},
		{http.MethodPost, "/v1/streams/Orders/events", `{}`, http.StatusNotFound},
		{http.MethodGet, "/v1/streams//events", ``, http.StatusNotFound},
		{http.MethodGet, "/v2/anything", ``, http.StatusNotFound},
		{http.MethodDelete, "/v1/streams/orders/events", ``, http.StatusMethodNotAllowed},
		{http.MethodPost, "/healthz", `{}`, http.StatusMethodNotAllowed},
		{http.MethodPost, "/v1/streams/orders/events", `"` + strings.Repeat("x", maxBodyBytes) + `"`, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
		if rec.Code != tc.want {
			t.Errorf("%s %s = %d, want %d (%s)", tc.method, tc.path, rec.Code, tc.want, rec.Body.String())
		}
		var msg map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &msg); err != nil || msg["error"] == "" {
			t.Errorf("%s %s: body %q is not a JSON error", tc.method, tc.path, rec.Body.String())
		}
	}
}

func TestStoreKeepsTheNewestEventsWithinItsLimit(t *testing.T) {
	s := NewStore(2)
	for _, id := range []string{"evt_a", "evt_b", "evt_c"} {
		s.Append(Event{ID: id, Stream: "s"})
	}
	got := s.List("s", "")
	if len(got) != 2 || got[0].ID != "evt_b" || got[1].ID != "evt_c" {
		t.Fatalf("List = %+v, want evt_b, evt_c", got)
	}
}

func TestClientReportsServerErrors(t *testing.T) {
	srv := httptest.NewServer(newTestHandler(0))
	defer srv.Close()
	_, err := NewClient(srv.URL).Publish(context.Background(), "orders", []byte(`not json`))
	if err == nil || !strings.Contains(err.Error(), "-> 400") {
		t.Fatalf("Publish(bad JSON) error = %v, want a 400", err)
	}
}

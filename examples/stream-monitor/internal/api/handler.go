package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/example/stream-monitor/internal/ids"
)

// maxBodyBytes bounds one event payload; larger bodies get 413.
const maxBodyBytes = 64 << 10

// streamName is the grammar of stream names in URLs.
var streamName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Handler serves the gateway API:
//
//	GET  /healthz                      -> {"status": "ok"}
//	POST /v1/streams/{stream}/events   -> 201 with the stored Event
//	GET  /v1/streams/{stream}/events   -> 200 {"events": [...]}; ?after=<id> pages
type Handler struct {
	Store *Store
	IDs   *ids.Generator
	Now   func() time.Time
}

// NewHandler returns a Handler over store using crypto/rand ids and the wall clock.
func NewHandler(store *Store) *Handler {
	return &Handler{Store: store, IDs: ids.NewGenerator(nil), Now: time.Now}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		h.health(w, r)
		return
	}
	stream, ok := streamFromPath(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, "no such endpoint")
		return
	}
	switch r.Method {
	case http.MethodGet:
		h.list(w, r, stream)
	case http.MethodPost:
		h.create(w, r, stream)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, stream string) {
	events := h.Store.List(stream, r.URL.Query().Get("after"))
	writeJSON(w, http.StatusOK, map[string][]Event{"events": events})
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, stream string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "payload too large")
			return
		}
		writeError(w, http.StatusBadRequest, "cannot read body")
		return
	}
	if !json.Valid(body) {
		writeError(w, http.StatusBadRequest, "payload must be JSON")
		return
	}
	id, err := h.IDs.New("evt")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot allocate an id")
		return
	}
	ev := Event{ID: id, Stream: stream, Payload: json.RawMessage(body), ReceivedAt: h.Now().UTC()}
	h.Store.Append(ev)
	writeJSON(w, http.StatusCreated, ev)
}

// streamFromPath extracts {stream} from /v1/streams/{stream}/events.
func streamFromPath(path string) (string, bool) {
	// strings.CutPrefix/CutSuffix need Go 1.20; go.mod promises 1.19.
	const prefix, suffix = "/v1/streams/", "/events"
	if !strings.HasPrefix(path, prefix) || !strings.HasSuffix(path, suffix) {
		return "", false
	}
	stream := strings.TrimSuffix(strings.TrimPrefix(path, prefix), suffix)
	return stream, streamName.MatchString(stream)
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status line is already sent; an encoding error can only be a broken connection.
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"error": message})
}

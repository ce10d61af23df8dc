package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Client talks to a gateway over HTTP.
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// NewClient returns a Client for the gateway at baseURL (e.g. "http://gateway:8080").
func NewClient(baseURL string) *Client {
	return &Client{BaseURL: baseURL, HTTP: http.DefaultClient}
}

// Publish sends one JSON payload to stream and returns the stored event.
func (c *Client) Publish(ctx context.Context, stream string, payload []byte) (Event, error) {
	var ev Event
	err := c.do(ctx, http.MethodPost, c.eventsURL(stream, ""), payload, http.StatusCreated, &ev)
	return ev, err
}

// Events lists the stream's events after the event with id after ("" for all).
func (c *Client) Events(ctx context.Context, stream, after string) ([]Event, error) {
	var page struct {
		Events []Event `json:"events"`
	}
	err := c.do(ctx, http.MethodGet, c.eventsURL(stream, after), nil, http.StatusOK, &page)
	return page.Events, err
}

func (c *Client) eventsURL(stream, after string) string {
	u := c.BaseURL + "/v1/streams/" + url.PathEscape(stream) + "/events"
	if after != "" {
		u += "?after=" + url.QueryEscape(after)
	}
	return u
}

func (c *Client) do(ctx context.Context, method, u string, body []byte, want int, out interface{}) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("api: %s %s: %w", method, u, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("api: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("api: %s %s -> %d: %s", method, u, resp.StatusCode, bytes.TrimSpace(text))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("api: %s %s: decoding response: %w", method, u, err)
	}
	return nil
}

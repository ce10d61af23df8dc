package ids

import (
	"bytes"
	"errors"
	"testing"
)

func TestNewIsDeterministicForAGivenReader(t *testing.T) {
	g := NewGenerator(bytes.NewReader([]byte{0x3f, 0x9a, 0x0c, 0x2b, 0x7d, 0x41, 0xe8, 0x65}))
	got, err := g.New("evt")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if want := "evt_3f9a0c2b7d41e865"; got != want {
		t.Fatalf("New = %q, want %q", got, want)
	}
}

func TestNewRoundTripsThroughParse(t *testing.T) {
	id, err := New("wrk")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	prefix, random, err := Parse(id)
	if err != nil {
		t.Fatalf("Parse(%q): %v", id, err)
	}
	if prefix != "wrk" || len(random) != randomBytes {
		t.Fatalf("Parse(%q) = %q, %d bytes", id, prefix, len(random))
	}
}

func TestNewIDsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id, err := New("evt")
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q after %d ids", id, i)
		}
		seen[id] = true
	}
}

func TestNewRejectsBadPrefixes(t *testing.T) {
	for _, prefix := range []string{"", "EVT", "ev1", "toolongprefix"} {
		if _, err := New(prefix); err == nil {
			t.Errorf("New(%q) succeeded, want an error", prefix)
		}
	}
}

func TestNewReportsShortRandomness(t *testing.T) {
	g := NewGenerator(bytes.NewReader([]byte{1, 2, 3}))
	if _, err := g.New("evt"); err == nil {
		t.Fatal("New with 3 random bytes succeeded, want an error")
	}
}

func TestParseRejectsMalformedIDs(t *testing.T) {
	bad := []string{
		"evt3f9a0c2b7d41e865",  // no separator
		"evt_3f9a",             // too short
		"evt_3F9A0C2B7D41E865", // uppercase digits
		"evt_zz9a0c2b7d41e865", // not hex
		"_3f9a0c2b7d41e865",    // empty prefix
		"Evt_3f9a0c2b7d41e865", // uppercase prefix
	}
	for _, id := range bad {
		if _, _, err := Parse(id); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) error = %v, want ErrInvalid", id, err)
		}
	}
}

func TestValidChecksThePrefix(t *testing.T) {
	if !Valid("evt_3f9a0c2b7d41e865", "evt") {
		t.Error("Valid rejected a good evt id")
	}
	if Valid("evt_3f9a0c2b7d41e865", "wrk") {
		t.Error("Valid accepted an evt id as wrk")
	}
}

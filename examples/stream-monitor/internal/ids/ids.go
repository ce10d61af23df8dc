// Package ids makes and checks the identifiers that stream-monitor gives to
// events and processes: a short lowercase prefix, an underscore and 16 hex
// digits of randomness (for example "evt_3f9a0c2b7d41e865").
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// randomBytes is the number of random bytes in an identifier (16 hex digits).
const randomBytes = 8

// maxPrefixLen keeps identifiers short enough for log lines and URLs.
const maxPrefixLen = 8

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid id")

// Generator makes identifiers from a source of randomness.
type Generator struct {
	rand io.Reader
}

// NewGenerator returns a Generator that reads from r; nil means crypto/rand.
func NewGenerator(r io.Reader) *Generator {
	if r == nil {
		r = rand.Reader
	}
	return &Generator{rand: r}
}

// New returns a fresh identifier with the given prefix.
func (g *Generator) New(prefix string) (string, error) {
	if err := checkPrefix(prefix); err != nil {
		return "", err
	}
	buf := make([]byte, randomBytes)
	if _, err := io.ReadFull(g.rand, buf); err != nil {
		return "", fmt.Errorf("ids: reading randomness: %w", err)
	}
	return prefix + "_" + hex.EncodeToString(buf), nil
}

// New returns a fresh identifier from crypto/rand.
func New(prefix string) (string, error) {
	return NewGenerator(nil).New(prefix)
}

// Parse splits id into its prefix and random part, rejecting malformed ids.
func Parse(id string) (prefix string, random []byte, err error) {
	prefix, digits, found := strings.Cut(id, "_")
	if !found {
		return "", nil, fmt.Errorf("%w %q: missing '_'", ErrInvalid, id)
	}
	if err := checkPrefix(prefix); err != nil {
		return "", nil, fmt.Errorf("%w %q: %v", ErrInvalid, id, err)
	}
	if len(digits) != 2*randomBytes || strings.ToLower(digits) != digits {
		return "", nil, fmt.Errorf("%w %q: want %d lowercase hex digits", ErrInvalid, id, 2*randomBytes)
	}
	random, err = hex.DecodeString(digits)
	if err != nil {
		return "", nil, fmt.Errorf("%w %q: %v", ErrInvalid, id, err)
	}
	return prefix, random, nil
}

// Valid reports whether id is well formed and carries the wanted prefix.
func Valid(id, wantPrefix string) bool {
	prefix, _, err := Parse(id)
	return err == nil && prefix == wantPrefix
}

func checkPrefix(prefix string) error {
	if prefix == "" || len(prefix) > maxPrefixLen {
		return fmt.Errorf("ids: prefix %q must have 1 to %d characters", prefix, maxPrefixLen)
	}
	for _, r := range prefix {
		if r < 'a' || r > 'z' {
			return fmt.Errorf("ids: prefix %q must be lowercase ASCII letters", prefix)
		}
	}
	return nil
}

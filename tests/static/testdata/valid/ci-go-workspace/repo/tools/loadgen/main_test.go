package main

import "testing"

func TestPerSecondDoublesTheWorkers(t *testing.T) {
	if got := perSecond(3); got != 6 {
		t.Fatalf("perSecond(3) = %d, want 6", got)
	}
}

module github.com/example/stream-monitor

go 1.19

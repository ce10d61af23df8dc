module github.com/example/stream-monitor/tools/loadgen

go 1.19

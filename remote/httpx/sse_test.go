package httpx

import "testing"

// The idle timer restarts exactly when scan reports a dispatched event.
func TestSSEScannerCountsOnlyRealEvents(t *testing.T) {
	for _, c := range []struct {
		name   string
		chunks []string
		want   []bool
	}{
		{"comment", []string{": keep-alive\n\n"}, []bool{false}},
		{"ping event", []string{"event: ping\ndata: {\"type\": \"ping\"}\n\n"}, []bool{false}},
		{"data event", []string{"data: {\"x\":1}\n\n"}, []bool{true}},
		{"named event, CRLF", []string{"event: content_block_delta\r\ndata: {}\r\n\r\n"}, []bool{true}},
		{"split across reads", []string{"da", "ta: {}\n", "\n"}, []bool{false, false, true}},
		{"CRLF split between reads", []string{"data: {}\r", "\n\r\n"}, []bool{false, true}},
		{"event then comments", []string{"data: 1\n\n: ping\n\n: ping\n\n"}, []bool{true}},
		{"comments only after an event", []string{"data: 1\n\n", ": ping\n\n"}, []bool{true, false}},
		{"a long event name that starts with ping", []string{"event: pingpong-long-name\ndata: x\n\n"}, []bool{true}},
	} {
		var s sseScanner
		for i, chunk := range c.chunks {
			if got := s.scan([]byte(chunk)); got != c.want[i] {
				t.Errorf("%s: read %d (%q) dispatched = %v, want %v", c.name, i, chunk, got, c.want[i])
			}
		}
	}
}

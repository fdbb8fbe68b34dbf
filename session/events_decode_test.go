package session

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Every event type reads back as written, through the fast head; and the same
// events written in another order or with spaces (another writer) read back
// the same through encoding/json.
func TestEventJSONRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 5, 8, 30, 1, 123456789, time.UTC)
	payloads := []Payload{
		SessionStarted{SessionID: "s", Task: "fix \"it\"", TaskIndex: 2, Retry: true},
		PlanProposed{Plan: Plan{NextID: 2, Steps: []Step{{ID: "1", Title: "one", Status: StepPending}}}, AwaitingApproval: true},
		ToolCalled{CallID: "c", Tool: "t", Args: json.RawMessage(`{"type":"nested","seq":9}`)},
		ToolFinished{CallID: "c", Tool: "t", Output: "a\nb", Duration: time.Second},
		TextDelta{Text: `"type":"paused"`},
		Resumed{},
		SessionFinished{State: StateFinished, Summary: "ok"},
	}
	if len(payloadTypes) < len(payloads) {
		t.Fatal("payload types missing")
	}
	for i, p := range payloads {
		want := Event{Seq: int64(1000 + i), Time: at, Payload: p}
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		// The head written by hand is what encoding/json writes.
		head, _ := json.Marshal(struct {
			Seq  int64     `json:"seq"`
			Time time.Time `json:"time"`
			Type string    `json:"type"`
		}{want.Seq, at, p.Type()})
		if !strings.HasPrefix(string(b), string(head[:len(head)-1])) {
			t.Fatalf("%s: head %s, encoding/json writes %s", p.Type(), b, head)
		}
		if _, _, typ, ok := fastHead(b); !ok || typ != p.Type() {
			t.Fatalf("%s: the fast head did not read %s", p.Type(), b)
		}
		var got Event
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v", p.Type(), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\ngot  %#v\nwant %#v", p.Type(), got, want)
		}
		// Another writer: the head last, spaced out.
		var flat map[string]any
		json.Unmarshal(b, &flat)
		other, _ := json.MarshalIndent(flat, "", "  ")
		if _, _, _, ok := fastHead(other); ok {
			t.Fatalf("the fast head read a shape it does not know: %s", other)
		}
		var slow Event
		if err := json.Unmarshal(other, &slow); err != nil {
			t.Fatalf("%s (another writer): %v", p.Type(), err)
		}
		if slow.Seq != want.Seq || !slow.Time.Equal(at) || slow.Payload.Type() != p.Type() {
			t.Fatalf("%s (another writer): %#v", p.Type(), slow)
		}
	}
	var e Event
	if err := json.Unmarshal([]byte(`{"seq":1,"time":"2026-12-05T08:30:01Z","type":"no_such"}`), &e); err == nil {
		t.Fatal("an unknown type must be an error")
	}
}

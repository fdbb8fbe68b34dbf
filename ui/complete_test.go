package ui_test

import (
	"testing"

	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/uitest"
)

// indexedFiles is a Files port with its own index: the picker must ask the index,
// never pull the whole list into the UI (on 100,000 files that took over a second
// per key).
type indexedFiles struct{ t *testing.T }

func (f indexedFiles) Files() []string {
	f.t.Error("the picker read the whole file list although the port ranks matches itself")
	return nil
}

func (indexedFiles) Match(q string, limit int) []string {
	if q == "" {
		return []string{"first.go"}
	}
	// Each narrower query's answer differs from the first character on: the
	// renderer redraws only changed cells, so a shared prefix would never reach
	// the output whole.
	if q == "svc" {
		return []string{"the_answer_for_svc.go"}
	}
	return []string{"x" + q + ".go"}
}

func TestFilePickerAsksThePortsIndex(t *testing.T) {
	be := uitest.NewBackend()
	tm := newTM(t, be, ui.Options{Files: indexedFiles{t}})
	tm.Type("see @svc")
	waitOut(t, tm, "the_answer_for_svc.go")
	finalView(t, tm)
}

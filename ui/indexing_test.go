package ui_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"gitlab.com/wend/wend/ui"
	"gitlab.com/wend/wend/ui/uitest"
)

// slowIndex is a Files port whose index is built behind the first frame: it
// reports progress when the test says so and finishes when the test says so.
type slowIndex struct {
	indexedFiles
	progress chan int
	finish   chan struct{}
	started  chan struct{}
}

func (s slowIndex) Index(ctx context.Context, progress func(int)) error {
	close(s.started)
	for {
		select {
		case n := <-s.progress:
			progress(n)
		case <-s.finish:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// TestIndexingShowsInTheStatusBar: the first frame does not wait for the index;
// while it is built the status bar counts the files listed ("indexing 43,210
// files…"), and the count leaves the bar when the index is ready.
func TestIndexingShowsInTheStatusBar(t *testing.T) {
	files := slowIndex{indexedFiles: indexedFiles{t}, progress: make(chan int), finish: make(chan struct{}), started: make(chan struct{})}
	tm := newTM(t, uitest.NewBackend(), ui.Options{Files: files})
	waitOut(t, tm, "Describe a task") // drawn while Index has not returned
	<-files.started
	waitOut(t, tm, "indexing files…") // git has listed nothing yet
	files.progress <- 1200
	waitOut(t, tm, "1,200 files…")
	files.progress <- 43210
	waitOut(t, tm, "43,210 files…") // the renderer redraws only the cells that changed
	close(files.finish)
	waitOut(t, tm, "fix-login") // a redraw after the index is done
	if v := finalView(t, tm); strings.Contains(v, "indexing") {
		t.Fatalf("the indicator stayed after indexing:\n%s", v)
	}
}

// TestFirstFrameIsReportedOnce: the caller learns when the first frame at the
// terminal's size is drawn (it holds the baseline snapshot back until then),
// once, however many frames follow.
func TestFirstFrameIsReportedOnce(t *testing.T) {
	var calls atomic.Int32
	tm := newTM(t, uitest.NewBackend(), ui.Options{FirstFrame: func() { calls.Add(1) }})
	waitOut(t, tm, "Describe a task")
	// One rune the screen cannot show in pieces: the renderer redraws only the
	// cells that change, so a typed word may arrive split around cursor moves.
	tm.Type("§")
	waitOut(t, tm, "§")
	finalView(t, tm)
	if n := calls.Load(); n != 1 {
		t.Fatalf("FirstFrame called %d times", n)
	}
}

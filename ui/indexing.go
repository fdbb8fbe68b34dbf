package ui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"gitlab.com/wend/wend/ui/status"
)

// Indexer is optionally implemented by a Files port: Index lists the repository
// and builds the `@` picker's index, calling progress with the number of files
// listed so far. The UI starts it with the first frame, never before it, and the
// status bar says "indexing 43,210 files…" until it returns, so a 100,000-file
// repository shows at once and the first `@` finds the index ready.
type Indexer interface {
	Index(ctx context.Context, progress func(files int)) error
}

type (
	// indexProgressMsg: the background listing has reached files paths.
	indexProgressMsg struct{ files int }
	// indexDoneMsg: the index is built (or could not be: the picker then asks
	// the port as it goes, and the bar says nothing more).
	indexDoneMsg struct{}
	// indexSlowMsg: indexing has taken long enough to be worth saying so, even
	// before git lists its first file (it walks the tree for untracked files first).
	indexSlowMsg struct{}
)

// firstFrameWait bounds how long background work waits for the first frame
// (a terminal that never reports its size).
const firstFrameWait = time.Second

// indexShowAfter is how long indexing runs before the bar mentions it: an index
// built in a moment never flashes there. A single timer, not a tick.
const indexShowAfter = 150 * time.Millisecond

// indexing is the background indexing's state for the status bar.
type indexing struct {
	running bool
	slow    bool // indexShowAfter has passed
	files   int
	updates chan int // the latest count, replaced when the UI has not taken it
}

// startIndexing returns the commands that run the index and carry its progress
// to Update, or nil when the Files port does not index.
func (m *Model) startIndexing() tea.Cmd {
	ix, ok := m.opts.Files.(Indexer)
	if !ok || m.opts.FirstRun {
		return nil
	}
	m.idx = indexing{running: true, updates: make(chan int, 1)}
	updates, ctx, drawn := m.idx.updates, m.ctx, m.drawn
	run := func() tea.Msg {
		// Listing 100,000 files takes a core; the first frame comes first.
		select {
		case <-drawn:
		case <-ctx.Done():
		case <-time.After(firstFrameWait):
		}
		ix.Index(ctx, func(n int) {
			// Keep only the newest count: the UI draws at its own pace.
			for {
				select {
				case updates <- n:
					return
				default:
				}
				select {
				case <-updates:
				default:
				}
			}
		})
		close(updates) // Index has returned: no more sends
		return indexDoneMsg{}
	}
	slow := tea.Tick(indexShowAfter, func(time.Time) tea.Msg { return indexSlowMsg{} })
	return tea.Batch(run, waitIndexProgress(updates), slow)
}

func waitIndexProgress(updates chan int) tea.Cmd {
	return func() tea.Msg {
		n, ok := <-updates
		if !ok {
			return nil
		}
		return indexProgressMsg{files: n}
	}
}

func (m *Model) indexUpdate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case indexProgressMsg:
		if m.idx.running {
			m.idx.files = msg.files
			return waitIndexProgress(m.idx.updates)
		}
	case indexSlowMsg:
		m.idx.slow = true
	case indexDoneMsg:
		m.idx.running = false
	}
	return nil
}

// indexStatus is the bar's item while indexing runs, once it has run for
// indexShowAfter: "indexing files…" until git lists the first, then the count.
func (m *Model) indexStatus() string {
	switch {
	case !m.idx.running || !m.idx.slow:
		return ""
	case m.idx.files == 0:
		return "indexing files…"
	}
	return fmt.Sprintf("indexing %s files…", status.FormatCount(m.idx.files))
}

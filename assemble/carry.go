package assemble

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session/review"
	"gitlab.com/wend/wend/session/steer"
	"gitlab.com/wend/wend/session/store"
)

// Rejection feedback outlives its session. A reason given with `wend reject`
// after the session ended, or one whose delivery failed when the session
// stopped, waits in that session's journal. The next session in the
// repository carries it into its first model request through the same steer
// queue as its own feedback, and acknowledges it in the earlier session's
// journal only once that request has succeeded.

// carriedFeedback collects the undelivered feedback of this repository's
// sessions that no process has open (except the session self being started).
// Reading it must never stop a session from starting: a journal that cannot
// be read is skipped, and `wend changes` still shows its feedback.
func carriedFeedback(ctx context.Context, root string, st *store.Store, self string) []steer.Feedback {
	entries, err := os.ReadDir(st.Dir())
	if err != nil {
		return nil
	}
	var out []steer.Feedback
	for _, ent := range entries {
		id := ent.Name()
		if !ent.IsDir() || id == self || st.InUse(id) {
			continue
		}
		if _, err := os.Stat(filepath.Join(st.Dir(), id, "journal")); err != nil {
			continue
		}
		if fb, ok := earlierFeedback(ctx, root, st, id); ok {
			out = append(out, fb)
		}
	}
	return out
}

// earlierFeedback reads session id's undelivered feedback and returns it as a
// note whose delivery acknowledges it in that session's journal.
func earlierFeedback(ctx context.Context, root string, st *store.Store, id string) (steer.Feedback, bool) {
	gs, err := gitops.Open(ctx, root, id)
	if err != nil {
		return steer.Feedback{}, false
	}
	fb := gs.Feedback()
	gs.Close()
	if len(fb) == 0 {
		return steer.Feedback{}, false
	}
	about := "session " + id
	if events, err := st.Load(id); err == nil {
		if task := store.Summarize(id, events).Task; task != "" {
			about += fmt.Sprintf(", task %q", oneLine(task, 80))
		}
	}
	return review.Earlier(about, fb, func(seq int) {
		// A failed ack only means a later session hears this again.
		gs, err := gitops.Open(context.Background(), root, id)
		if err != nil {
			return
		}
		defer gs.Close()
		gs.AckFeedback(context.Background(), seq)
	}), true
}

// oneLine is s on one line, cut to n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}

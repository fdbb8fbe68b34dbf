package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/session/store"
)

// Housekeeping. Every session leaves refs/wend/<id>/* and <git dir>/wend/<id>/
// behind on purpose: its proposals must stay decidable after wend exits. A
// session is done with once it has ended, no process has it open, and it
// holds nothing for the user (no undecided change, no rejection feedback the
// model has not heard). `wend sessions --prune` removes those; every `wend`
// and `wend run` also removes a few month-old ones, silently.

// Automatic pruning at start: only sessions idle this long, at most
// autoPruneMax removed and autoPruneLook examined per start, so a start never
// pays for a repository's whole history at once.
const (
	autoPruneAge  = 30 * 24 * time.Hour
	autoPruneMax  = 20
	autoPruneLook = 40
)

type pruneOptions struct {
	olderThan time.Duration // 0: any age
	dryRun    bool
	max       int // removals; 0: no bound
	look      int // sessions examined; 0: no bound
}

// pruneResult is what a prune did (or, dry, would do).
type pruneResult struct {
	removed []store.Summary
	freed   int64
	kept    int // ended, but holding undecided changes or undelivered feedback
	running int // not ended, or open in a live process
	failed  []error
}

// pruneSessions removes the sessions of the repository at root that are done
// with: the git side through gitops.Prune, then the directory through the
// store. A session whose pending work cannot be read is kept: when in doubt,
// nothing is lost.
func pruneSessions(ctx context.Context, root string, st *store.Store, o pruneOptions) (pruneResult, error) {
	var res pruneResult
	var list []store.Summary
	var err error
	if o.olderThan > 0 {
		list, err = st.IdleSince(time.Now().Add(-o.olderThan))
	} else {
		list, err = st.List()
	}
	if err != nil {
		return res, err
	}
	for i, sum := range list {
		if o.max > 0 && len(res.removed) >= o.max || o.look > 0 && i >= o.look {
			break
		}
		if !sum.State.Ended() || st.InUse(sum.ID) {
			res.running++
			continue
		}
		waits, err := holdsWork(ctx, root, sum.ID)
		if err != nil {
			res.failed = append(res.failed, fmt.Errorf("kept session %s: %w", sum.ID, err))
			continue
		}
		if waits {
			res.kept++
			continue
		}
		if o.dryRun {
			res.removed = append(res.removed, sum)
			res.freed += st.DiskUsage(sum.ID)
			continue
		}
		if _, err := gitops.Prune(ctx, root, sum.ID); err != nil {
			res.failed = append(res.failed, fmt.Errorf("session %s: %w", sum.ID, err))
			continue
		}
		n, err := st.Remove(sum.ID)
		if err != nil {
			res.failed = append(res.failed, err)
			continue
		}
		res.removed = append(res.removed, sum)
		res.freed += n
	}
	return res, nil
}

// holdsWork reports whether a stored session still has undecided changes or
// rejection feedback its model has not received.
func holdsWork(ctx context.Context, root, id string) (bool, error) {
	gs, err := gitops.Open(ctx, root, id)
	if errors.Is(err, gitops.ErrNoSession) {
		return false, nil // it never staged anything
	}
	if err != nil {
		return false, err
	}
	defer gs.Close()
	fcs, err := gs.Proposals(ctx)
	if err != nil {
		return false, err
	}
	return len(fcs) > 0 || len(gs.Feedback()) > 0, nil
}

// report prints what the prune did: one line per session, then the totals and
// where the kept ones can be reviewed.
func (r pruneResult) report(w io.Writer, dry bool) {
	verb := "Removed"
	if dry {
		verb = "Would remove"
	}
	if len(r.removed) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range r.removed {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.ID, s.Updated.Local().Format("Jan 2 15:04"), s.State, oneLine(s.Task, 60))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "%s %d %s (%s)", verb, len(r.removed), plural(len(r.removed), "session", "sessions"), humanBytes(r.freed))
	if r.kept > 0 {
		fmt.Fprintf(w, "; kept %d with undecided changes or undelivered feedback: wend changes", r.kept)
	}
	if r.running > 0 {
		fmt.Fprintf(w, "; %d still running", r.running)
	}
	fmt.Fprintln(w, ".")
	for _, err := range r.failed {
		fmt.Fprintln(w, "  could not prune:", err)
	}
}

// pruneAtStart is the bounded clean-up every `wend` and `wend run` does before
// its session starts. It says nothing unless it fails, and then one line: a
// failed clean-up never stops the user's task.
func (g *globals) pruneAtStart(ctx context.Context, ws *workspace) {
	st, err := assemble.Store(ctx, ws.repo)
	if err == nil {
		var res pruneResult
		res, err = pruneSessions(ctx, ws.repo.Root(), st, pruneOptions{olderThan: autoPruneAge, max: autoPruneMax, look: autoPruneLook})
		if err == nil && len(res.failed) > 0 {
			err = res.failed[0]
		}
	}
	if err != nil {
		fmt.Fprintf(g.stderr, "wend: cleaning up old sessions: %v (see wend sessions --prune)\n", err)
	}
}

var dayPrefix = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)d`)

// parseAge reads --older-than: a Go duration (36h, 90m) or days, alone or
// leading one (14d, 1d12h).
func parseAge(s string) (time.Duration, error) {
	bad := fmt.Errorf("--older-than %q: give an age such as 14d, 36h or 1d12h", s)
	var d time.Duration
	rest := s
	if m := dayPrefix.FindStringSubmatch(s); m != nil {
		days, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, bad
		}
		d = time.Duration(days * float64(24*time.Hour))
		rest = strings.TrimPrefix(s, m[0])
	}
	if rest != "" || d == 0 {
		more, err := time.ParseDuration(rest)
		if err != nil || more < 0 {
			return 0, bad
		}
		d += more
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}

// humanBytes prints a size the way people read it: 812 B, 14.2 KB, 3.4 MB.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), []string{"KB", "MB", "GB", "TB"}
	i := -1
	for v >= unit && i < len(suffix)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, suffix[i])
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/remote/rpc"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/store"
)

// sessionRow is one line of `wend sessions` (one JSON object with --json): the
// stored summary, how its host stands, and what waits for review.
type sessionRow struct {
	store.Summary
	// Host is "attached" or "detached" while a session host runs the
	// session (host = true), empty otherwise.
	Host string `json:"host,omitempty"`
	// Undecided counts the files with proposed changes not yet accepted or
	// rejected.
	Undecided int `json:"undecided_files"`
	// Shown is the state as the table says it: "waiting for you" for waiting,
	// "detached" for a live session no terminal shows.
	Shown string `json:"-"`
}

// describeSessions adds to each stored summary its host's status and its
// undecided changes.
func describeSessions(ctx context.Context, root string, st *store.Store, list []store.Summary) []sessionRow {
	rows := make([]sessionRow, 0, len(list))
	for _, sum := range list {
		r := sessionRow{Summary: sum, Shown: stateWords(sum.State)}
		if !sum.State.Ended() {
			sock := sessionSocket(st, sum.ID)
			if _, err := os.Lstat(sock); err == nil {
				if hs, err := rpc.Probe(ctx, sock); err == nil {
					r.Host = "attached"
					if !hs.Controlled {
						r.Host, r.Shown = "detached", "detached"
						if sum.State == session.StatePaused || sum.State == session.StateWaiting {
							r.Shown = "detached, " + stateWords(sum.State)
						}
					}
				}
			}
		}
		r.Undecided = undecidedFiles(ctx, root, sum.ID)
		rows = append(rows, r)
	}
	return rows
}

// stateWords is a state as the table says it.
func stateWords(s session.State) string {
	if s == session.StateWaiting {
		return "waiting for you"
	}
	return string(s)
}

// undecidedFiles counts a session's files with undecided proposals; 0 when it
// never staged anything or its staging cannot be read.
func undecidedFiles(ctx context.Context, root, id string) int {
	gs, err := gitops.Open(ctx, root, id)
	if errors.Is(err, gitops.ErrNoSession) || err != nil {
		return 0
	}
	defer gs.Close()
	fcs, err := gs.Proposals(ctx)
	if err != nil {
		return 0
	}
	return len(fcs)
}

func undecided(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%d %s", n, plural(n, "file", "files"))
}

// ageWords is a duration as a person says it: 45s, 12m, 3h, 2d.
func ageWords(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

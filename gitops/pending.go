package gitops

import "sort"

// What a session still holds for the user: the queries `wend changes`, `wend
// undo` and pruning need to say what is waiting and what a verb would discard.
// (A file of its own: it only reads the session's state.)

// FeedbackAfter is Feedback without the decisions up to told, which the caller
// has already handed to the model but which are not acknowledged yet: it
// renders each decision once per process while AckFeedback waits for the
// model to really have it.
func (s *Session) FeedbackAfter(told int) []Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	told = max(told, s.acked)
	var out []Decision
	for _, d := range s.decisions {
		if d.Seq > told && d.Action != ActionAccept {
			out = append(out, d)
		}
	}
	return dropUndone(out, told) // undo.go
}

// Touched returns, sorted, the paths whose content undo-all would change: the
// agent's version or an accepted change still differs from what the path held
// before the agent's first change.
func (s *Session) Touched() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for p, ps := range s.paths {
		if ps.Agent != ps.Orig || ps.Base != ps.Orig {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Standing counts the decisions that are in effect: made and not taken back
// by a later undo (an undo-all takes back everything before it on its paths).
func (s *Session) Standing() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	undone := map[int]bool{}
	n := 0
	for i := len(s.decisions) - 1; i >= 0; i-- {
		d := s.decisions[i]
		switch {
		case d.Action == ActionUndo && d.Undoes > 0:
			undone[d.Undoes] = true
		case d.Action == ActionUndo:
			// An undo-all of d.Path: what came before on that path is gone.
			for j := 0; j < i; j++ {
				if s.decisions[j].Path == d.Path {
					undone[s.decisions[j].Seq] = true
				}
			}
		case !undone[d.Seq]:
			n++
		}
	}
	return n
}

// Proposes reports whether path has an undecided change, on either side of a
// rename, without computing the proposals: a review decision uses it to tell a
// file path from a hunk id, so that deciding computes them only once (in the
// decision itself).
func (s *Session) Proposes(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.paths[path]
	return ps != nil && ps.Base != ps.Agent
}

// ProposalsComputed is how many times this session has computed its list of
// proposals (Proposals, and every decision's lookup); tests and benchmarks
// use it to hold a review decision to one computation.
func (s *Session) ProposalsComputed() int64 { return s.computed.Load() }

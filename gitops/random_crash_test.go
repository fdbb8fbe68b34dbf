package gitops

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
)

// Crashes inside decisions and agent writes, for TestRandomized. An action
// run in crash mode is interrupted at a random write boundary (crashPoint):
// the goroutine running it is parked there for good, so nothing after the
// boundary runs, not even deferred cleanups, as in a killed process. Then the
// process's death is simulated: its flock goes (the kernel would drop it), its
// Session value is dropped without Close, and index.lock owner names it made
// carry the identity of a process that is gone (same pid, another start time:
// a reused pid). Sometimes the user edits a file before wend comes back.
// Then a fresh Open, from disk alone, settles the interrupted operation, and
// the checker follows whichever way recovery went (the decisions the journal
// now holds) while requiring index, working tree and journal to agree and the
// user's bytes to be intact.

// parkedCrash unwinds a parked goroutine once its case has ended.
type parkedCrash struct{}

// crashStats counts, over a TestRandomized run, the crashes, those with a
// user edit before recovery, and those after which the journal kept a
// decision of the interrupted action.
var crashStats struct{ crashes, userEdits, kept atomic.Int64 }

// crashRate is the chance that a decision or agent write runs in crash mode.
const crashRate = 5

// crashing runs act, in crash mode one time in crashRate. It reports whether
// act was interrupted (then the session was reopened and checked, and act's
// own results were never set) and act's error otherwise. A user edit in the
// crash window prefers the path prefer and never touches avoid.
func (c *randCase) crashing(act func() error, prefer, avoid string) (bool, error) {
	if c.rng.IntN(crashRate) != 0 {
		return false, act()
	}
	at := 1 + c.rng.IntN(8)
	c.decisionsBefore = len(c.s.Decisions())
	before := c.readTree()
	point, release, err := crashAt(c.s, at, act)
	if release == nil {
		return false, err
	}
	c.logf("  crash at boundary %d (%s)", at, point)
	crashStats.crashes.Add(1)
	c.parked = append(c.parked, release)
	edited, line := "", ""
	if c.rng.IntN(2) == 0 {
		// Not a line the interrupted action itself brought into the file:
		// whether a write was made that the user then rewrote cannot be
		// read from the file alone (recover.go settleForward; see the
		// report on journaling each write's completion).
		c.userKeep = before
		edited, line = c.userEditPrefer(prefer, avoid)
		c.userKeep = nil
		if edited != "" {
			crashStats.userEdits.Add(1)
		}
	}
	s, err := Open(bg, c.r.dir, "rand")
	if err != nil {
		c.t.Fatalf("open after a crash at boundary %d (%s): %v", at, point, err)
	}
	c.s = s
	c.checkRecovered(edited, line)
	return true, nil
}

// recovered returns the decisions the journal gained through the action that
// crashed and its recovery (decisionsBefore is set by crashing).
func (c *randCase) recovered(before int) []Decision {
	ds := c.s.Decisions()
	if len(ds) < before {
		c.t.Fatalf("recovery lost decisions: %d before, %d after", before, len(ds))
	}
	out := ds[before:]
	if len(out) > 0 {
		crashStats.kept.Add(1)
	}
	for _, d := range out {
		c.logf("  recovery kept %s %q %v (seq %d)", d.Action, d.Path, d.HunkIDs, d.Seq)
	}
	return out
}

// checkRecovered checks a session freshly opened after a crash: nothing
// pending or left behind, the index is the user's plus exactly the accepts
// the journal holds, every touched file the user left alone is the agent's
// version the journal records, and the line the user wrote in the crash
// window (edited, line) is still there.
func (c *randCase) checkRecovered(edited, line string) {
	c.t.Helper()
	if c.s.pending != nil {
		c.t.Fatalf("an intent is still pending after open: %+v", c.s.pending.Op)
	}
	if _, err := os.Stat(filepath.Join(c.r.dir, ".git", "index.lock")); err == nil {
		c.t.Fatal("the crashed process's .git/index.lock was left behind")
	}
	filepath.WalkDir(c.r.dir, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d != nil && strings.HasPrefix(d.Name(), ".wend-tmp-") {
			c.t.Fatalf("temporary file %s left in the working tree", p)
		}
		return nil
	})
	if edited != "" {
		if content, _ := c.r.read(edited); !slices.Contains(splitLines([]byte(content)), line) {
			c.t.Fatalf("the line %q the user wrote in %q while wend was down is gone: %q", line, edited, content)
		}
	}
}

// checkAgreement: the index is the user's plus exactly the accepted hunks the
// journal holds, and every touched file the user did not edit during the
// session holds the agent's version the journal records.
func (c *randCase) checkAgreement() {
	c.t.Helper()
	c.compare("index (against the journal's accepts)", c.readIndex(), c.idxAcc, nil)
	for p := range c.touched {
		if c.userEdited[p] {
			continue
		}
		want, err := c.s.AgentVersion(bg, p)
		if errors.Is(err, ErrUnknownProposal) {
			continue // credited to nobody (a command's change it did not make)
		}
		c.must(err)
		got, ok := c.r.read(p)
		if ok != (want != nil) && !(ok && got == "" && len(want) == 0) || got != string(want) {
			c.t.Fatalf("working tree: %q is %q (exists %v), the journal's agent version is %q", p, got, ok, want)
		}
	}
}

// crashAt runs act on s, crashing at the at-th write boundary. When act
// returns before reaching it, crashAt returns act's error and a nil release.
// Else the goroutine running act stays parked at the boundary (nothing after
// it runs, not even deferred cleanups, as in a killed process), the session's
// flock is released as the kernel would release it, and s must be dropped:
// the caller opens the session afresh. index.lock owner names made during act
// carry the identity of a process that is gone (same pid, another start
// time: a reused pid). release, called once the test is done with the
// repository, lets the goroutine unwind and closes what s had open.
func crashAt(s *Session, at int, act func() error) (point string, release func(), err error) {
	hit, resume := make(chan string, 1), make(chan struct{})
	n := 0
	s.r.owner = &lockOwner{PID: self.PID, Start: self.Start + 1, Host: self.Host}
	s.r.crash = func(point string) {
		if n++; n == at {
			hit <- point
			<-resume
			panic(parkedCrash{})
		}
	}
	done, exited := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(exited)
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(parkedCrash); !ok {
					panic(r)
				}
			}
		}()
		done <- act()
	}()
	select {
	case err := <-done:
		<-exited
		s.r.crash, s.r.owner = nil, nil
		return "", nil, err
	case point = <-hit:
	}
	s.lock.f.Close()
	return point, func() {
		close(resume)
		<-exited
		s.j.close()
		s.r.closeTree()
		os.Remove(s.openMark)
	}, nil
}

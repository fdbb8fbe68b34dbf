package gitops

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestRandomizedUserEditsDuringCommands is the randomized form of the
// concurrency harness (session/tools' attribution tests): while agent
// commands run without capture, the user appends, rewrites, deletes and
// renames files, interleaved in random order with the command's own edits;
// the agent also writes files itself; then random decisions follow (accept,
// reject and undo of hunks, files and all, undo-all). After every step, every
// line the user wrote is still in the file they left it in, every file they
// deleted is still gone and every file they renamed still exists: whatever is
// decided, wend never takes a user's byte out of the working tree. Failed
// decisions (changed while the command ran, conflicts, nothing to do) are
// expected; silent removals are not.
//
// It runs a tenth of -gitops.cases (CI: 50), from -gitops.seed.
func TestRandomizedUserEditsDuringCommands(t *testing.T) {
	n := max(1, *flagCases/10)
	if testing.Short() {
		n = min(n, 20)
	}
	seed := *flagSeed
	if seed == 0 {
		seed = 1
	}
	runSeeds(t, seed, n, func(t *testing.T, cs int64) (*[]string, func()) {
		c := &userCase{t: t, rng: rand.New(rand.NewPCG(uint64(cs), 11))}
		return &c.log, c.run
	})
}

type userCase struct {
	t   *testing.T
	rng *rand.Rand
	r   *testRepo
	s   *Session
	seq int
	log []string

	marks   map[string]string // a line the user wrote (without "\n") -> the file it is in
	deleted map[string]bool   // files the user deleted
	renamed map[string]bool   // files the user created by renaming
}

func (c *userCase) next(prefix string) string {
	c.seq++
	return prefix + "-" + strconv.Itoa(c.seq)
}

func (c *userCase) logf(format string, args ...any) {
	c.log = append(c.log, fmt.Sprintf(format, args...))
}

func (c *userCase) run() {
	c.r = newTestRepo(c.t)
	for i := range 3 + c.rng.IntN(3) {
		c.r.write(fmt.Sprintf("f%d.txt", i), lines(6+c.rng.IntN(10), fmt.Sprintf("f%d-", i)))
	}
	c.r.commitAll("init")
	c.marks, c.deleted, c.renamed = map[string]string{}, map[string]bool{}, map[string]bool{}
	c.s = c.r.start("users")
	for range 4 + c.rng.IntN(12) {
		switch k := c.rng.IntN(10); {
		case k < 2:
			c.agentWrite()
		case k < 5:
			c.command()
		case k < 9:
			c.decide()
		default:
			c.logf("reopen")
			c.s.Close()
			var err error
			if c.s, err = Open(bg, c.r.dir, "users"); err != nil {
				c.t.Fatal(err)
			}
		}
		c.check()
		if c.t.Failed() {
			return
		}
	}
	c.logf("undo-all")
	_, err := c.s.UndoAll(bg, "")
	c.logf("  -> %v", err)
	c.check()
}

// files lists the working tree's files (not .git).
func (c *userCase) files() []string {
	ents, err := os.ReadDir(c.r.dir)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

func (c *userCase) pick(ps []string) string { return ps[c.rng.IntN(len(ps))] }

// agentEdit inserts a line of the agent's or replaces one that is not the
// user's: the agent never takes a user's line out itself.
func (c *userCase) agentEdit(content string) string {
	ls := splitLines([]byte(content))
	i := c.rng.IntN(len(ls) + 1)
	if i < len(ls) && c.rng.IntN(2) == 0 && !strings.HasPrefix(ls[i], "U-") {
		ls[i] = c.next("A") + "\n"
	} else {
		ls = slices.Insert(ls, i, c.next("A")+"\n")
	}
	return string(joinLines(ls))
}

func (c *userCase) agentWrite() {
	fs := c.files()
	if len(fs) == 0 || c.rng.IntN(4) == 0 {
		p := c.next("new") + ".txt"
		c.logf("agent creates %q", p)
		c.must(c.s.WriteFile(bg, p, []byte(c.next("A")+"\n"), 0o644))
		return
	}
	p := c.pick(fs)
	c.logf("agent writes %q", p)
	c.must(c.s.WriteFile(bg, p, []byte(c.agentEdit(c.r.mustRead(p))), 0o644))
}

// command is an agent command that runs without capture while the user
// saves files: the command's edits and the user's interleave in random order.
func (c *userCase) command() {
	c.must(c.s.BeforeCommand(bg))
	c.logf("command starts")
	var ops []func()
	for range 1 + c.rng.IntN(2) {
		ops = append(ops, func() {
			if fs := c.files(); len(fs) > 0 {
				p := c.pick(fs)
				c.logf("  command edits %q", p)
				c.r.write(p, c.agentEdit(c.r.mustRead(p)))
			}
		})
	}
	for range 1 + c.rng.IntN(3) {
		ops = append(ops, c.userEdit)
	}
	c.rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	for _, op := range ops {
		op()
	}
	changed, err := c.s.AfterUncapturedCommand(bg)
	c.must(err)
	c.logf("command ends: changed %q", changed)
}

// userEdit is one save of the user's: an append, a rewrite of a line, a
// delete or a rename.
func (c *userCase) userEdit() {
	fs := c.files()
	if len(fs) == 0 {
		return
	}
	p := c.pick(fs)
	switch k := c.rng.IntN(6); {
	case k < 2:
		m := c.next("U-app")
		c.logf("  user appends %q to %q", m, p)
		cur := c.r.mustRead(p)
		if cur != "" && !strings.HasSuffix(cur, "\n") {
			cur += "\n"
		}
		c.r.write(p, cur+m+"\n")
		c.marks[m] = p
	case k < 4:
		ls := splitLines([]byte(c.r.mustRead(p)))
		var cand []int
		for i, l := range ls {
			if !strings.HasPrefix(l, "U-") {
				cand = append(cand, i)
			}
		}
		if len(cand) == 0 {
			return
		}
		i := cand[c.rng.IntN(len(cand))]
		m := c.next("U-rew")
		c.logf("  user rewrites line %d of %q as %q", i+1, p, m)
		ls[i] = m + "\n"
		c.r.write(p, string(joinLines(ls)))
		c.marks[m] = p
	case k < 5:
		c.logf("  user deletes %q", p)
		if err := os.Remove(filepath.Join(c.r.dir, p)); err != nil {
			c.t.Fatal(err)
		}
		c.forget(p)
		c.deleted[p] = true
	default:
		q := c.next("U-ren") + ".txt"
		c.logf("  user renames %q to %q", p, q)
		if err := os.Rename(filepath.Join(c.r.dir, p), filepath.Join(c.r.dir, q)); err != nil {
			c.t.Fatal(err)
		}
		for m, in := range c.marks {
			if in == p {
				c.marks[m] = q
			}
		}
		delete(c.renamed, p)
		c.deleted[p], c.renamed[q] = true, true
	}
}

// forget drops what the user wrote in p: they deleted it.
func (c *userCase) forget(p string) {
	for m, in := range c.marks {
		if in == p {
			delete(c.marks, m)
		}
	}
	delete(c.renamed, p)
}

func (c *userCase) decide() {
	fcs, err := c.s.Proposals(bg)
	c.must(err)
	var hunks, paths []string
	for _, fc := range fcs {
		paths = append(paths, fc.Path)
		for _, h := range fc.Hunks {
			hunks = append(hunks, h.ID)
		}
	}
	var what string
	switch k := c.rng.IntN(9); {
	case k == 0 && len(hunks) > 0:
		h := c.pick(hunks)
		what, err = "accept hunk "+h, errOf(c.s.AcceptHunk(bg, h, ""))
	case k == 1 && len(paths) > 0:
		p := c.pick(paths)
		what, err = "accept file "+p, errOf(c.s.AcceptFile(bg, p, ""))
	case k == 2:
		what = "accept all"
		_, err = c.s.AcceptAll(bg, "")
	case k == 3 && len(hunks) > 0:
		h := c.pick(hunks)
		what, err = "reject hunk "+h, errOf(c.s.RejectHunk(bg, h, ""))
	case k == 4 && len(paths) > 0:
		p := c.pick(paths)
		what, err = "reject file "+p, errOf(c.s.RejectFile(bg, p, ""))
	case k == 5:
		what = "reject all"
		_, err = c.s.RejectAll(bg, "")
	case k < 8:
		ds := c.s.Decisions()
		if len(ds) == 0 {
			return
		}
		d := ds[c.rng.IntN(len(ds))]
		target := d.Path
		if len(d.HunkIDs) > 0 && c.rng.IntN(2) == 0 {
			target = d.HunkIDs[0]
		}
		what, err = "undo "+target, errOf(c.s.Undo(bg, target, ""))
	default:
		what = "undo-all"
		_, err = c.s.UndoAll(bg, "")
	}
	c.logf("%s -> %v", what, err)
}

func errOf(_ Decision, err error) error { return err }

// check fails unless every line the user wrote is in its file, and every
// file the user deleted is gone and every one they renamed exists.
func (c *userCase) check() {
	c.t.Helper()
	for m, p := range c.marks {
		content, ok := c.r.read(p)
		if !ok || !slices.Contains(splitLines([]byte(content)), m+"\n") && !strings.HasSuffix(content, "\n"+m) && content != m {
			c.t.Errorf("after %q: the user's line %q is no longer in %s (exists %v):\n%s", c.log[len(c.log)-1], m, p, ok, content)
		}
	}
	for p := range c.deleted {
		if _, ok := c.r.read(p); ok && !c.renamed[p] {
			c.t.Errorf("after %q: %s is back, but the user deleted it", c.log[len(c.log)-1], p)
		}
	}
	for p := range c.renamed {
		if _, ok := c.r.read(p); !ok {
			c.t.Errorf("after %q: %s, which the user made by renaming, is gone", c.log[len(c.log)-1], p)
		}
	}
}

func (c *userCase) must(err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("%v\nsteps:\n%s", err, strings.Join(c.log, "\n"))
	}
}

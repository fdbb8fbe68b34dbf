package gitops

import (
	"compress/zlib"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	flagCases = flag.Int("gitops.cases", envInt("GITOPS_CASES", 500), "randomized staging cases (env GITOPS_CASES; CI runs 500 as issue 11 asks, GITOPS_CASES=5000 for a long run)")
	flagSeed  = flag.Int64("gitops.seed", 0, "seed of the first randomized case (0: from the clock)")
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// TestRandomized drives random user edits (staged, unstaged, untracked, and
// during the session), random agent edits (modify, create, delete, rename,
// binary; by writes and by commands) and random decisions, with reopens and
// crashes inside decisions and agent writes (random_crash_test.go: the action
// stops at a random write boundary, the user may edit a file, a fresh Open
// settles it, and the model follows whichever way recovery went), and checks
// after every step that the index is the user's plus the journal's accepts
// and every touched file the user left alone is the journal's agent version,
// after every failed decision that nothing changed, and at the end:
//   - a path the agent never touched is no proposal and is byte for byte what
//     the user left, in the working tree and the index;
//   - the index is the user's index plus exactly the accepted hunks;
//   - after reject-all the working tree is the user's plus accepted hunks
//     (rejected hunks gone); after undo-all it is exactly the user's, and the
//     index exactly the user's.
func TestRandomized(t *testing.T) {
	n := *flagCases
	if testing.Short() {
		n = min(n, 50)
	}
	seed := *flagSeed
	if seed == 0 {
		seed = time.Now().UnixNano() % 1_000_000_000
	}
	runSeeds(t, seed, n, func(t *testing.T, cs int64) (*[]string, func()) {
		c := &randCase{t: t, rng: rand.New(rand.NewPCG(uint64(cs), 7))}
		return &c.log, c.run
	})
	t.Logf("%d crashes inside decisions and agent writes, %d with a user edit before recovery, %d kept a decision of the interrupted action",
		crashStats.crashes.Load(), crashStats.userEdits.Load(), crashStats.kept.Load())
}

// runSeeds runs n cases from seed, each a subtest named by its seed, more of
// them at once than there are CPUs (cases spend their time waiting for git
// processes). newCase builds the case of seed cs: its steps' log and its run;
// when it fails, the steps and the command that reruns exactly that case are
// logged (also after a t.Fatal inside run).
func runSeeds(t *testing.T, seed int64, n int, newCase func(t *testing.T, cs int64) (steps *[]string, run func())) {
	t.Logf("first seed %d, %d cases", seed, n)
	seeds := make(chan int64)
	var wg sync.WaitGroup
	for range 3 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for cs := range seeds {
				t.Run(strconv.FormatInt(cs, 10), func(t *testing.T) {
					steps, run := newCase(t, cs)
					defer func() {
						if t.Failed() {
							t.Logf("reproduce: go test ./gitops -run '%s/%d$' -gitops.seed=%d -gitops.cases=1\nsteps:\n%s",
								strings.SplitN(t.Name(), "/", 2)[0], cs, cs, strings.Join(*steps, "\n"))
						}
					}()
					run()
				})
			}
		})
	}
	for i := range n {
		seeds <- seed + int64(i)
	}
	close(seeds)
	wg.Wait()
}

type randCase struct {
	t   *testing.T
	rng *rand.Rand
	r   *testRepo
	s   *Session
	seq int
	log []string

	userIdx map[string]string // the user's index when the session starts
	wUser   map[string]string // the user's working tree: start plus the user's own edits since
	// idxAcc and wAcc are userIdx and wUser with the accepted decisions
	// applied, in the order of events.
	idxAcc, wAcc map[string]string
	touched      map[string]bool   // paths the agent changed
	noUser       map[string]bool   // paths the user leaves alone (created, removed or moved by the agent)
	agentBin     map[string]string // last binary content the agent wrote
	accepted     []acceptRec
	conflicts    int
	// userEdited paths the user changed during the session since the
	// agent last wrote them (their file is not the agent's version).
	userEdited map[string]bool
	// crash mode (random_crash_test.go): parked releases the goroutines
	// of crashed actions at the end of the case; decisionsBefore counts
	// the journal's decisions before the action that crashed.
	parked          []func()
	userKeep        map[string]string // in the crash window, the user edits only lines files had before the action
	decisionsBefore int
	crashes         int
}

type acceptRec struct {
	d Decision
	// content is the working file right after a whole-file accept of an
	// added, renamed or binary file: what the index must hold.
	content string
}

func (c *randCase) next(prefix string) string {
	c.seq++
	return prefix + "-" + strconv.Itoa(c.seq)
}

func (c *randCase) logf(format string, args ...any) {
	c.log = append(c.log, fmt.Sprintf(format, args...))
}

var randNames = []string{"a.txt", "dir/b.go", "with space.md", "-dash.txt", "ünï/c.txt", "new\nline.txt", "q\"uote.txt"}

func (c *randCase) run() {
	c.setup()
	var err error
	c.s, err = Start(bg, c.r.dir, "rand")
	if err != nil {
		c.t.Fatal(err)
	}
	defer func() {
		// Parked goroutines first: one may hold the mutex of c.s when the
		// case failed before the crashed session was reopened.
		for _, release := range c.parked {
			release()
		}
		c.s.Close()
	}()
	c.touched, c.noUser, c.agentBin = map[string]bool{}, map[string]bool{}, map[string]string{}
	c.userEdited = map[string]bool{}
	for range 3 + c.rng.IntN(10) {
		switch k := c.rng.IntN(24); {
		case k < 7:
			c.agentOp()
		case k < 9:
			c.userEdit()
		case k < 19:
			c.decide()
		case k < 23:
			c.undo() // undo_test.go
		default:
			c.logf("reopen")
			c.s.Close()
			if c.s, err = Open(bg, c.r.dir, "rand"); err != nil {
				c.t.Fatal(err)
			}
		}
		c.checkProposals()
		c.checkAgreement()
	}
	c.finish()
}

// setup makes a small repository and the user's pre-session state.
func (c *randCase) setup() {
	c.r = newTestRepo(c.t)
	nFiles := 2 + c.rng.IntN(4)
	names := slices.Clone(randNames)
	c.rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	for i := range nFiles {
		var b strings.Builder
		style := c.rng.IntN(5) // 0: CRLF, 1: no final newline, else plain
		n := 3 + c.rng.IntN(14)
		for j := range n {
			b.WriteString(fmt.Sprintf("f%d-L%d", i, j))
			switch {
			case style == 0:
				b.WriteString("\r\n")
			case style == 1 && j == n-1:
			default:
				b.WriteString("\n")
			}
		}
		c.r.write(names[i], b.String())
	}
	if c.rng.IntN(3) == 0 {
		c.r.write("bin.dat", "\x00bin\x01")
	}
	c.r.write(".gitignore", "*.log\n")
	c.r.write("build.log", "ignored\n")
	c.r.commitAll("init")
	var add []string
	for _, name := range names[:nFiles] {
		if c.rng.IntN(3) == 0 {
			c.replaceRandomLine(name, c.next("U-s"), nil)
			add = append(add, name)
		}
	}
	if c.rng.IntN(4) == 0 {
		c.r.write("staged-new.txt", c.next("U-n")+"\n"+c.next("U-n")+"\n")
		add = append(add, "staged-new.txt")
	}
	if len(add) > 0 {
		c.r.git(append([]string{"add", "--"}, add...)...)
	}
	for _, name := range append(names[:nFiles], "staged-new.txt") {
		if _, ok := c.r.read(name); ok && c.rng.IntN(3) == 0 {
			c.replaceRandomLine(name, c.next("U-w"), nil)
		}
	}
	if c.rng.IntN(2) == 0 {
		c.r.write("untracked.txt", c.next("U-u")+"\n"+c.next("U-u")+"\n"+c.next("U-u")+"\n")
	}
	c.userIdx = c.readIndex()
	c.wUser = c.readTree()
	c.idxAcc, c.wAcc = copyMap(c.userIdx), copyMap(c.wUser)
}

// replaceRandomLine rewrites one line of a file (keeping its terminator),
// skipping lines for which skip says so. It returns the old and new line.
func (c *randCase) replaceRandomLine(path, text string, skip func(string) bool) (string, string, bool) {
	content, ok := c.r.read(path)
	if !ok {
		return "", "", false
	}
	ls := splitLines([]byte(content))
	var cand []int
	for i, l := range ls {
		if skip == nil || !skip(l) {
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		return "", "", false
	}
	i := cand[c.rng.IntN(len(cand))]
	old := ls[i]
	ls[i] = text + old[len(strings.TrimRight(old, "\r\n")):]
	c.r.write(path, string(joinLines(ls)))
	return old, ls[i], true
}

// textFiles lists the working tree's text files (not ignored ones).
func (c *randCase) textFiles() []string {
	var out []string
	for p, content := range c.readTree() {
		if !isBinary([]byte(content)) && p != ".gitignore" {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func (c *randCase) pick(ps []string) string { return ps[c.rng.IntN(len(ps))] }

// agentEdit changes 1-3 lines of content the way a model would.
func (c *randCase) agentEdit(content string) string {
	ls := splitLines([]byte(content))
	for range 1 + c.rng.IntN(3) {
		n := len(ls)
		endsNL := n == 0 || strings.HasSuffix(ls[n-1], "\n")
		switch k := c.rng.IntN(3); {
		case k == 0 && n > 0:
			i := c.rng.IntN(n)
			ls[i] = c.next("A") + ls[i][len(strings.TrimRight(ls[i], "\r\n")):]
		case k == 1 && n > 1:
			i := c.rng.IntN(n)
			ls = slices.Delete(ls, i, i+1)
		default:
			at := 0
			if n > 0 {
				at = c.rng.IntN(n)
				if endsNL {
					at = c.rng.IntN(n + 1)
				}
			}
			ls = slices.Insert(ls, at, c.next("A")+"\n")
		}
	}
	return string(joinLines(ls))
}

func (c *randCase) agentOp() {
	files := c.textFiles()
	switch k := c.rng.IntN(10); {
	case k < 4 && len(files) > 0:
		p := c.pick(files)
		c.logf("agent writes %q", p)
		data := []byte(c.agentEdit(c.r.mustRead(p)))
		c.agentWrote(p, data, func() error { return c.s.WriteFile(bg, p, data, 0o644) })
	case k < 5:
		p := c.next("new") + ".txt"
		c.logf("agent creates %q", p)
		data := []byte(c.next("A") + "\n" + c.next("A") + "\n")
		c.noUser[p] = true
		c.agentWrote(p, data, func() error { return c.s.WriteFile(bg, p, data, 0o644) })
	case k < 6 && len(files) > 0:
		p := c.pick(files)
		c.logf("agent removes %q", p)
		c.noUser[p] = true
		c.agentWrote(p, nil, func() error { return c.s.Remove(bg, p) })
	case k < 7:
		if _, ok := c.r.read("bin.dat"); ok {
			data := "\x00" + c.next("B")
			c.logf("agent writes binary")
			c.agentWrote("bin.dat", []byte(data), func() error { return c.s.WriteFile(bg, "bin.dat", []byte(data), 0o644) })
			c.agentBin["bin.dat"] = data
		}
	default:
		c.agentCommand(files)
	}
}

// agentWrote runs an agent write of p (in crash mode sometimes). Whether it
// took effect or was rolled back by recovery, the file is the journal's agent
// version again (checkAgreement), so p counts as not edited by the user.
func (c *randCase) agentWrote(p string, data []byte, write func() error) {
	crashed, err := c.crashing(write, "", p)
	c.must(err)
	c.touched[p] = true
	if now, ok := c.r.read(p); !crashed || ok == (data != nil) && now == string(data) {
		delete(c.userEdited, p) // else rolled back: the file is as before
	}
}

// agentCommand is a shell command of the agent: BeforeCommand, file system
// changes, AfterCommand, whose answer must be exactly the changed paths.
func (c *randCase) agentCommand(files []string) {
	c.must(c.s.BeforeCommand(bg))
	want := map[string]bool{}
	pre := c.readTree()
	for range 1 + c.rng.IntN(2) {
		files = c.textFiles()
		switch k := c.rng.IntN(5); {
		case k == 0 && len(files) > 0:
			p := c.pick(files)
			c.r.write(p, c.agentEdit(c.r.mustRead(p)))
			c.logf("  command edits %q", p)
			want[p] = true
		case k == 1:
			p := c.next("gen") + ".txt"
			c.r.write(p, c.next("A")+"\n")
			want[p], c.noUser[p] = true, true
		case k == 2 && len(files) > 0:
			p := c.pick(files)
			os.Remove(filepath.Join(c.r.dir, p))
			c.logf("  command removes %q", p)
			want[p], c.noUser[p] = true, true
		case k == 3 && len(files) > 0:
			p, q := c.pick(files), c.next("moved")+".txt"
			os.Rename(filepath.Join(c.r.dir, p), filepath.Join(c.r.dir, q))
			c.logf("  command moves %q to %q", p, q)
			want[p], want[q], c.noUser[p], c.noUser[q] = true, true, true, true
		default:
			if _, ok := c.r.read("bin.dat"); ok {
				data := "\x00" + c.next("B")
				c.r.write("bin.dat", data)
				c.agentBin["bin.dat"] = data
				want["bin.dat"] = true
			}
		}
	}
	changed, err := c.s.AfterCommand(bg)
	c.must(err)
	c.logf("agent command changed %q", changed)
	for p := range want {
		now, exists := c.r.read(p)
		_, existed := pre[p]
		if !slices.Contains(changed, p) && (now != pre[p] || exists != existed) {
			c.t.Fatalf("AfterCommand missed %q: %q", p, changed)
		}
	}
	for _, p := range changed {
		if !want[p] {
			c.t.Fatalf("AfterCommand attributed %q to the agent", p)
		}
		c.touched[p] = true
		delete(c.userEdited, p)
	}
}

// userEdit is the user changing a line in an editor during the session. They
// never change the agent's own lines (A-, M-) nor files the agent created,
// removed or moved.
func (c *randCase) userEdit() { c.userEditPrefer("", "") }

// userEditPrefer edits prefer when the user may, else a random file other
// than avoid. It returns the path and the line written (none: "").
func (c *randCase) userEditPrefer(prefer, avoid string) (string, string) {
	var cand []string
	for _, p := range c.textFiles() {
		if _, ok := c.wUser[p]; ok && !c.noUser[p] && p != avoid {
			cand = append(cand, p)
		}
	}
	if len(cand) == 0 {
		return "", ""
	}
	p := c.pick(cand)
	if slices.Contains(cand, prefer) {
		p = prefer
	}
	old, repl, ok := c.replaceRandomLine(p, c.next("U-m"), func(l string) bool {
		// Contains, not HasPrefix: an agent or modify line inserted after a
		// last line without a newline joins it ("U-s-1M-12").
		return strings.Contains(l, "A-") || strings.Contains(l, "M-") || c.userKeep != nil && !slices.Contains(splitLines([]byte(c.userKeep[p])), l)
	})
	if !ok {
		return "", ""
	}
	c.logf("user edits %q: %q -> %q", p, old, repl)
	c.userEdited[p] = true
	for _, m := range []map[string]string{c.wUser, c.wAcc} {
		ls := splitLines([]byte(m[p]))
		i := slices.Index(ls, old)
		if i < 0 {
			c.t.Fatalf("model: %q not in the user's %q", old, p)
		}
		ls[i] = repl
		m[p] = string(joinLines(ls))
	}
	return p, repl
}

func (c *randCase) decide() {
	ps, err := c.s.Proposals(bg)
	c.must(err)
	if len(ps) == 0 {
		return
	}
	fc := ps[c.rng.IntN(len(ps))]
	before := c.state()
	var d Decision
	var ds []Decision
	var act func() error
	all := false
	switch k := c.rng.IntN(12); {
	case k < 3 && len(fc.Hunks) > 0:
		h := fc.Hunks[c.rng.IntN(len(fc.Hunks))]
		c.logf("accept hunk %s of %q", h.ID, fc.Path)
		act = func() (err error) { d, err = c.s.AcceptHunk(bg, h.ID, "ok"); return err }
	case k < 6 && len(fc.Hunks) > 0:
		h := fc.Hunks[c.rng.IntN(len(fc.Hunks))]
		c.logf("reject hunk %s of %q", h.ID, fc.Path)
		act = func() (err error) { d, err = c.s.RejectHunk(bg, h.ID, "no"); return err }
	case k < 7:
		c.logf("accept file %q", fc.Path)
		act = func() (err error) { d, err = c.s.AcceptFile(bg, fc.Path, ""); return err }
	case k < 8:
		c.logf("reject file %q", fc.Path)
		act = func() (err error) { d, err = c.s.RejectFile(bg, fc.Path, ""); return err }
	case k < 10 && fc.Kind == ChangeModified && !fc.Binary:
		av, err2 := c.s.AgentVersion(bg, fc.Path)
		c.must(err2)
		ls := splitLines(av)
		at := c.rng.IntN(len(ls) + 1) // an empty agent version has no line
		ls = slices.Insert(ls, at, c.next("M")+"\n")
		c.logf("modify %q", fc.Path)
		act = func() (err error) { d, err = c.s.Modify(bg, fc.Path, joinLines(ls), "better"); return err }
	case k < 11:
		c.logf("accept all")
		act = func() (err error) { ds, err = c.s.AcceptAll(bg, ""); return err }
		all = true
	default:
		c.logf("reject all")
		act = func() (err error) { ds, err = c.s.RejectAll(bg, ""); return err }
		all = true
	}
	crashed, err := c.crashing(act, fc.Path, "")
	switch {
	case crashed:
		// Whichever way recovery went, the journal says which decisions
		// count: the model follows it.
		ds, all = c.recovered(c.decisionsBefore), true
	case !all && err == nil:
		ds = []Decision{d}
	}
	for _, d := range ds {
		c.recordAccept(d)
	}
	if err != nil {
		var ce *ConflictError
		if !errors.As(err, &ce) {
			c.t.Fatalf("decision failed: %v", err)
		}
		c.conflicts++
		c.logf("  conflict: %v", err)
		if after := c.state(); !all && after != before {
			c.t.Fatalf("a failed decision changed the repository:\nbefore %q\nafter  %q", before, after)
		}
	}
}

func (c *randCase) recordAccept(d Decision) {
	if d.Action != ActionAccept {
		return
	}
	for _, h := range d.Hunks {
		c.logf("  accepted %q hunk %s: %q", d.Path, h.ID, h.Lines)
	}
	rec := acceptRec{d: d}
	if len(d.HunkIDs) == 0 && (d.Kind == ChangeAdded || d.Kind == ChangeRenamed || d.Binary) {
		rec.content, _ = c.r.read(d.Path)
	}
	c.accepted = append(c.accepted, rec)
	c.apply(c.idxAcc, rec)
	c.apply(c.wAcc, rec)
}

func (c *randCase) checkProposals() {
	ps, err := c.s.Proposals(bg)
	c.must(err)
	for _, p := range ps {
		if !c.touched[p.Path] {
			c.t.Fatalf("%q is a proposal but the agent never touched it", p.Path)
		}
	}
}

// finish ends the session with undo-all or reject-all and checks the result
// against the model.
func (c *randCase) finish() {
	undo := c.rng.IntN(2) == 0
	var err error
	if undo {
		c.logf("undo all")
		_, err = c.s.UndoAll(bg, "")
	} else {
		c.logf("reject all")
		_, err = c.s.RejectAll(bg, "")
	}
	skip := map[string]bool{}
	for _, e := range flatten(err) {
		var ce *ConflictError
		if !errors.As(e, &ce) {
			c.t.Fatal(e)
		}
		skip[ce.Path] = true
		c.conflicts++
	}
	for p := range skip { // a conflicted rename leaves both sides
		for _, r := range c.accepted {
			if r.d.Path == p && r.d.OldPath != "" {
				skip[r.d.OldPath] = true
			}
		}
	}
	wantIdx, wantTree := c.userIdx, c.wUser
	if !undo {
		wantIdx, wantTree = c.idxAcc, c.wAcc
	}
	c.compare("index", c.readIndex(), wantIdx, skip)
	c.compare("working tree", c.readTree(), wantTree, skip)
	if _, ok := c.r.read("build.log"); !ok {
		c.t.Fatal("ignored file lost")
	}
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (c *randCase) compare(what string, got, want map[string]string, skip map[string]bool) {
	c.t.Helper()
	for _, p := range sortedKeys(got, want) {
		if skip[p] {
			continue
		}
		g, gok := got[p]
		w, wok := want[p]
		if gok != wok || g != w {
			c.t.Fatalf("%s: %q is %q (exists %v), want %q (exists %v)", what, p, g, gok, w, wok)
		}
	}
}

func sortedKeys(ms ...map[string]string) []string {
	var ks []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
	}
	slices.Sort(ks)
	return ks
}

// apply is the model of an accepted decision on a set of files.
func (c *randCase) apply(files map[string]string, r acceptRec) {
	d := r.d
	switch {
	case d.Kind == ChangeDeleted:
		delete(files, d.Path)
	case d.Kind == ChangeRenamed:
		delete(files, d.OldPath)
		files[d.Path] = r.content
	case d.Kind == ChangeAdded && len(d.HunkIDs) == 0, d.Binary:
		files[d.Path] = r.content
	case d.Kind == ChangeMode:
	default:
		cur, ok := files[d.Path]
		if !ok {
			return // the user's untracked file: the index could not take it
		}
		ls := splitLines([]byte(cur))
		for _, h := range d.Hunks {
			var err error
			if ls, err = applyDisplayHunk(ls, h); err != nil {
				c.t.Fatalf("model: %q: %v", d.Path, err)
			}
		}
		files[d.Path] = string(joinLines(ls))
	}
}

// applyDisplayHunk applies a hunk to lines by content (every line in these
// tests is unique), independently of the package's own merge code.
func applyDisplayHunk(ls []string, h Hunk) ([]string, error) {
	type op struct {
		kind byte
		text string
	}
	var ops []op
	for _, l := range h.Lines {
		if l == `\ No newline at end of file` {
			ops[len(ops)-1].text = strings.TrimSuffix(ops[len(ops)-1].text, "\n")
			continue
		}
		ops = append(ops, op{l[0], l[1:] + "\n"})
	}
	cur := -1
	for i, o := range ops {
		switch o.kind {
		case ' ':
			// A context line the target lacks was replaced there: an
			// insertion after it goes after its replacement, which is
			// before the next line found.
			cur = -1
			if j := slices.Index(ls, o.text); j >= 0 {
				cur = j + 1
			}
		case '-':
			j := slices.Index(ls, o.text)
			if j < 0 {
				return nil, fmt.Errorf("removed line %q not found", o.text)
			}
			ls = slices.Delete(ls, j, j+1)
			cur = j
		case '+':
			if cur < 0 && i == 0 {
				cur = 0
			}
			if cur < 0 {
				cur = len(ls)
				for _, a := range ops[i+1:] {
					if j := slices.Index(ls, a.text); a.kind != '+' && j >= 0 {
						cur = j
						break
					}
				}
			}
			ls = slices.Insert(ls, cur, o.text)
			cur++
		}
	}
	return ls, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (c *randCase) must(err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
}

// readIndex returns the contents of every index entry. It reads the index
// and the loose objects directly (no git process: spawns dominate this test's
// time); git has validated the same index in other checks.
func (c *randCase) readIndex() map[string]string {
	rp := &repo{git: ExecRunner{}, root: c.r.dir, format: "sha1", objects: filepath.Join(c.r.dir, ".git", "objects")}
	res := map[string]string{}
	ix, err := rp.readIndexFile(filepath.Join(c.r.dir, ".git", "index"))
	if errors.Is(err, errIndexFormat) {
		return res // no index yet
	}
	c.must(err)
	for _, e := range ix.entries {
		oid := hex.EncodeToString(ix.data[e.off+40 : e.off+60])
		f, err := os.Open(filepath.Join(rp.objects, oid[:2], oid[2:]))
		c.must(err)
		zr, err := zlib.NewReader(f)
		c.must(err)
		raw, err := io.ReadAll(zr)
		f.Close()
		c.must(err)
		_, body, _ := strings.Cut(string(raw), "\x00")
		res[e.name] = body
	}
	return res
}

// readTree returns every file of the working tree except .git and ignored
// build output.
func (c *randCase) readTree() map[string]string {
	res := map[string]string{}
	err := filepath.WalkDir(c.r.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() == "build.log" {
			return nil
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(c.r.dir, p)
		res[filepath.ToSlash(rel)] = string(b)
		return err
	})
	c.must(err)
	return res
}

// state fingerprints the index (its file's bytes: nothing in a failed
// decision may even rewrite it) and the working tree.
func (c *randCase) state() string {
	idx, _ := os.ReadFile(filepath.Join(c.r.dir, ".git", "index"))
	return string(idx) + fmt.Sprint(c.readTree())
}

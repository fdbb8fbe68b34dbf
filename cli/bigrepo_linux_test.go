package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/sys/unix"

	"gitlab.com/wend/wend/internal/gittest"
)

// BenchmarkFirstFrameLargeRepo starts the real binary on a terminal (a pty at
// 120×40, read directly: a tmux poll is too coarse for a 100 ms target) in a
// one-commit repository and in the generated 100,000-file repository
// (gittest.CachedLarge), alternately, and reports the medians of launch to the
// first frame (small-ms, large-ms) and their ratio. It also reports whether the
// status bar showed the background indexing ("indexing N files…") in the large
// one. Only with WEND_BIGREPO=1:
//
//	WEND_BIGREPO=1 go test ./cli -run '^$' -bench FirstFrameLargeRepo -benchtime 5x
func BenchmarkFirstFrameLargeRepo(b *testing.B) {
	if os.Getenv("WEND_BIGREPO") == "" {
		b.Skip("set WEND_BIGREPO=1 to measure on the generated 100,000-file repository")
	}
	large, st := gittest.CachedLarge(b, gittest.LargeSpec{Listed: 100000})
	small := gittest.NewRepo(b, map[string]string{"README.md": "hello\n", "main.go": "package main\n"})
	bin := wendBinary(b)
	var ts, tl []time.Duration
	indexing := 0
	for b.Loop() {
		d, _ := firstFrame(b, bin, small)
		ts = append(ts, d)
		d, sawIndexing := firstFrame(b, bin, large)
		tl = append(tl, d)
		if sawIndexing {
			indexing++
		}
	}
	cleanSessions(b, large)
	ms := func(d []time.Duration) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[len(s)/2]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(ts), "small-ms")
	b.ReportMetric(ms(tl), "large-ms")
	b.ReportMetric(ms(tl)/ms(ts), "x-small")
	b.ReportMetric(float64(indexing)/float64(len(tl)), "indexing-shown")
	b.Logf("%d files: first frame %v (small repository %v)", st.Listed, tl, ts)
}

// firstFrame runs wend in dir on a fresh pty until the input box's placeholder is
// drawn, then kills it. It also says whether the indexing indicator showed up
// within 5 s of the first frame.
func firstFrame(b *testing.B, bin, dir string) (time.Duration, bool) {
	b.Helper()
	home := b.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home + "/config", "XDG_STATE_HOME=" + home + "/state",
		"GIT_CONFIG_NOSYSTEM=1", "TERM=xterm-256color", "OPENAI_API_KEY=k", "PATH=" + os.Getenv("PATH")}
	cmd := exec.Command(bin, "-C", dir, "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
	cmd.Env = env
	master := startOnPty(b, cmd)
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		master.Close()
	}()
	start := time.Now()
	var mu sync.Mutex
	var out bytes.Buffer
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	seen := func(s string) bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(ansi.Strip(out.String()), s)
	}
	var frame time.Duration
	for deadline := start.Add(30 * time.Second); ; time.Sleep(200 * time.Microsecond) {
		if seen("escribe a task") { // the cursor's style may split the first letter off
			frame = time.Since(start)
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			b.Fatalf("no first frame in %s after 30 s:\n%s", dir, ansi.Strip(out.String()))
		}
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if seen("indexing ") {
			return frame, true
		}
	}
	return frame, false
}

// startOnPty starts cmd as the session leader of a new pty sized 120×40 and
// returns the master side.
func startOnPty(b *testing.B, cmd *exec.Cmd) *os.File {
	b.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		b.Skipf("no pty: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		b.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		b.Fatal(err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer tty.Close()
	if err := unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120}); err != nil {
		b.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return master
}

// cleanSessions removes what the killed sessions left in the kept repository:
// their refs and state. The work tree is untouched (no task ran).
func cleanSessions(b *testing.B, dir string) {
	ctx := context.Background()
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "for-each-ref", "--format=delete %(refname)", "refs/wend/").Output()
	if err != nil {
		b.Fatal(err)
	}
	if len(out) > 0 {
		cmd := exec.CommandContext(ctx, "git", "-C", dir, "update-ref", "--stdin")
		cmd.Stdin = bytes.NewReader(out)
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, o)
		}
	}
	os.RemoveAll(dir + "/.git/wend")
}

package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// `wend demo` in a real 80×24 terminal survives the user: deny the first
// test run with a reason, approve the second, then give a follow-up task.
// Every step completes (no divergence), and the kept sample repository holds
// the fix and the follow-up's Median.
func TestDemoSurvivesSteeringInTmux(t *testing.T) {
	bin := wendBinary(t)
	home := t.TempDir()
	p := newPane(t, 80, 24, []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "TMPDIR=" + home, "TERM=xterm-256color"},
		bin, "demo", "--keep")
	p.waitFor("Allow this command?")
	p.keys("n")
	p.waitFor("Reason")
	p.typeText("not on this machine")
	p.keys("Enter")
	p.waitFor("step 4") // the second test run asks: the first denial did not end the demo
	p.keys("y")
	p.waitFor("Done: Fixed")
	p.typeText("now also add a Median function")
	p.keys("Enter")
	p.waitFor("Allow this command?")
	p.keys("y")
	s := p.waitFor("Done: Added")
	if strings.Contains(s, "diverged") {
		t.Fatalf("%s", s)
	}
	p.keys("C-c")
	p.keys("C-c")
	s = p.waitFor("stays at")
	m := regexp.MustCompile(`stays at (\S+?/stats)`).FindStringSubmatch(strings.ReplaceAll(s, "\n", ""))
	if m == nil {
		t.Fatalf("no path:\n%s", s)
	}
	dir := m[1]
	if !strings.HasPrefix(dir, home) {
		t.Fatalf("the sample is not under TMPDIR: %s", dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, "stats.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "func Median(") || !strings.Contains(string(data), fixedMean) {
		t.Fatalf("stats.go:\n%s", data)
	}
}

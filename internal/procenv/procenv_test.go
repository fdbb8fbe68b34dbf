package procenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

const (
	childFlag = "WEND_PROCENV_CHILD"
	apiKey    = "sk-ant-api03-ProcEnvTestValue0123456789"
	gitlabTok = "glpat-ProcEnvTokenValue0123"
)

// The child is this test binary started again with the secrets in its initial
// environment, as a user starts wend. It scrubs, runs a grandchild that prints
// the child's /proc environ and its own environment (what run_command could
// do), reports, and waits for the parent to read its /proc environ from outside.
func TestMain(m *testing.M) {
	if os.Getenv(childFlag) == "1" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

func child() int {
	got, err := Scrub("ANTHROPIC_API_KEY", "GITLAB_TOKEN", "OPENAI_API_KEY")
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	if got["ANTHROPIC_API_KEY"] != apiKey || got["GITLAB_TOKEN"] != gitlabTok || len(got) != 2 {
		fmt.Printf("error: Scrub returned %v\n", got)
		return 1
	}
	if v, ok := os.LookupEnv("ANTHROPIC_API_KEY"); ok {
		fmt.Printf("error: still in os.Environ: %q\n", v)
		return 1
	}
	out, err := exec.Command("sh", "-c", `tr '\000' '\n' < /proc/$PPID/environ; echo ---; env`).CombinedOutput()
	if err != nil {
		fmt.Println("error: grandchild:", err)
		return 1
	}
	fmt.Printf("grandchild saw:\n%s\nscrubbed\n", out)
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent is done
	return 0
}

func TestScrubHidesSecretsFromChildrenAndProcEnviron(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/<pid>/environ is Linux's")
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childFlag+"=1", "ANTHROPIC_API_KEY="+apiKey, "GITLAB_TOKEN="+gitlabTok, "OPENAI_API_KEY=")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()

	var report strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		report.WriteString(sc.Text() + "\n")
		if sc.Text() == "scrubbed" || strings.HasPrefix(sc.Text(), "error") {
			break
		}
	}
	if !strings.HasSuffix(report.String(), "scrubbed\n") {
		t.Fatalf("child failed:\n%s", report.String())
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(environ), childFlag+"=1") {
		t.Fatalf("read the wrong environ: %q", environ)
	}
	for _, secret := range []string{apiKey, gitlabTok} {
		if strings.Contains(string(environ), secret) {
			t.Errorf("/proc/<pid>/environ still shows %s", secret)
		}
		if strings.Contains(report.String(), secret) {
			t.Errorf("a child process saw %s:\n%s", secret, report.String())
		}
	}
	if !strings.Contains(report.String(), childFlag+"=1") {
		t.Errorf("the grandchild did not print the environ:\n%s", report.String())
	}
}

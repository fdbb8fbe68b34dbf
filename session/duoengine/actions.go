package duoengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/tools"
)

// respondTimeout bounds sending one answer; answers go out even after a stop so
// the service never waits for an action that ran.
const respondTimeout = 30 * time.Second

// execute runs one action and answers it, echoing its request id. Every action
// is reported as ToolCalled/ToolFinished; tools run through the Toolbox under the
// approval policy, exactly as session/agent runs the model's calls.
func (e *Engine) execute(ctx context.Context, s *duo.Stream, a *contract.Action) {
	id := a.GetRequestID()
	respond := func(text string, err error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), respondTimeout)
		defer cancel()
		if serr := s.Respond(rctx, id, text, err); serr != nil {
			e.notice("warn", "could not answer GitLab Duo's request "+id+": "+serr.Error())
		}
	}
	plain := func(res tools.Result) {
		if res.IsError {
			respond("", errors.New(res.Output))
			return
		}
		respond(res.Output, nil)
	}
	switch {
	case a.GetRunReadFile() != nil:
		r := a.GetRunReadFile()
		args := map[string]any{"path": r.GetFilepath()}
		if r.GetOffset() > 0 {
			args["offset"] = r.GetOffset()
		}
		if r.GetLimit() > 0 {
			args["limit"] = r.GetLimit()
		}
		res := e.runTool(ctx, id, call(tools.ToolReadFile, args), nil)
		res.Output = rawLines(res)
		plain(res)
	case a.GetRunReadFiles() != nil:
		plain(e.readFiles(ctx, id, a.GetRunReadFiles().GetFilepaths()))
	case a.GetRunWriteFile() != nil:
		w := a.GetRunWriteFile()
		c := call(tools.ToolCreateFile, map[string]any{"path": w.GetFilepath(), "content": w.GetContents()})
		plain(e.runTool(ctx, id, c, e.markRead(w.GetFilepath())))
	case a.GetRunEditFile() != nil:
		ed := a.GetRunEditFile()
		c := call(tools.ToolEditFile, map[string]any{"path": ed.GetFilepath(), "old_string": ed.GetOldString(), "new_string": ed.GetNewString()})
		res := e.runTool(ctx, id, c, e.markRead(ed.GetFilepath()))
		if !res.IsError {
			res.Output = "Successfully " + lowerFirst(res.Output)
		}
		plain(res)
	case a.GetRunShellCommand() != nil:
		r := a.GetRunShellCommand()
		respond(commandResult(e.runTool(ctx, id, commandCall(r.GetCommand(), r.GetTimeout()), nil)))
	case a.GetRunCommand() != nil:
		r := a.GetRunCommand()
		words := append(append([]string{r.GetProgram()}, r.GetFlags()...), r.GetArguments()...)
		respond(commandResult(e.runTool(ctx, id, commandCall(shellJoin(words), r.GetTimeout()), nil)))
	case a.GetRunGitCommand() != nil:
		respond(e.gitCommand(ctx, id, a.GetRunGitCommand()))
	case a.GetListDirectory() != nil:
		dir := a.GetListDirectory().GetDirectory()
		if strings.TrimSpace(dir) == "" {
			dir = "."
		}
		plain(e.runTool(ctx, id, call(tools.ToolListDir, map[string]any{"path": dir}), nil))
	case a.GetGrep() != nil:
		g := a.GetGrep()
		args := map[string]any{"pattern": g.GetPattern(), "case_insensitive": g.GetCaseInsensitive()}
		if d := strings.TrimSpace(g.GetSearchDirectory()); d != "" && d != "." {
			args["path"] = d
		}
		plain(e.runTool(ctx, id, call(tools.ToolGrep, args), nil))
	case a.GetFindFiles() != nil:
		plain(e.runTool(ctx, id, call(tools.ToolFindFiles, map[string]any{"pattern": a.GetFindFiles().GetNamePattern()}), nil))
	case a.GetMkdir() != nil:
		plain(e.mkdir(ctx, id, a.GetMkdir().GetDirectoryPath()))
	case a.GetRunHTTPRequest() != nil:
		e.httpRequest(ctx, s, id, a.GetRunHTTPRequest())
	case a.GetRunMCPTool() != nil:
		name := a.GetRunMCPTool().GetName()
		res := e.refuse(id, "mcp_tool", map[string]any{"name": name},
			fmt.Sprintf("wend does not run MCP tools; %q was not run. Use the repository tools (read, edit, run commands) instead.", name))
		plain(res)
	case a.GetScheduleNotification() != nil:
		n := a.GetScheduleNotification()
		res := e.refuse(id, "schedule_notification", map[string]any{"task_id": n.GetTaskId()},
			"wend does not schedule notifications; check again yourself when needed.")
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), respondTimeout)
		defer cancel()
		if err := s.RespondNotification(rctx, id, &contract.ScheduleNotificationResponse{Accepted: false, Reason: res.Output}); err != nil {
			e.notice("warn", "could not answer GitLab Duo's request "+id+": "+err.Error())
		}
	default:
		kind := fmt.Sprintf("%T", a.GetAction())
		kind = strings.TrimPrefix(strings.TrimPrefix(kind, "*contract.Action_"), "<nil>")
		plain(e.refuse(id, "unknown_action", map[string]any{"action": kind},
			fmt.Sprintf("wend does not support this action (%s); it was not run.", orDefault(kind, "empty"))))
	}
}

// call builds a tool call from arguments that always marshal.
func call(name string, args map[string]any) tools.Call {
	b, _ := json.Marshal(args)
	return tools.Call{Name: name, Args: b}
}

// commandCall maps a DWS command with its timeout. The proto says milliseconds,
// DWS's tools send seconds: values up to an hour are taken as seconds.
func commandCall(command string, timeout int64) tools.Call {
	args := map[string]any{"command": command}
	switch {
	case timeout > 3600:
		args["timeout_seconds"] = (timeout + 999) / 1000
	case timeout > 0:
		args["timeout_seconds"] = timeout
	}
	return call(tools.ToolRunCommand, args)
}

// runTool reports, approves and executes one call. before runs after approval
// and just before the call (to record what DWS's edit is based on).
func (e *Engine) runTool(ctx context.Context, requestID string, c tools.Call, before func()) tools.Result {
	c.ID = requestID
	start := time.Now()
	e.log.Append(session.ToolCalled{CallID: c.ID, Tool: c.Name, Args: c.Args, StepID: e.currentStep()})
	res, ok := e.approve(ctx, c, e.cfg.Tools.Effect(c), e.cfg.Tools.Describe(c))
	if ok {
		if before != nil {
			before()
		}
		res = e.cfg.Tools.Execute(ctx, c)
	}
	e.finishTool(ctx, c, res, start)
	return res
}

func (e *Engine) finishTool(ctx context.Context, c tools.Call, res tools.Result, start time.Time) {
	e.log.Append(session.ToolFinished{
		CallID: c.ID, Tool: c.Name, IsError: res.IsError, Summary: res.Summary,
		Output: clip(res.Output, 2000), Duration: time.Since(start),
	})
	e.reportChanges(ctx, res.Changed)
}

// refuse reports an action wend will not run and returns its error result.
func (e *Engine) refuse(requestID, tool string, args map[string]any, why string) tools.Result {
	c := call(tool, args)
	c.ID = requestID
	e.log.Append(session.ToolCalled{CallID: c.ID, Tool: c.Name, Args: c.Args, StepID: e.currentStep()})
	res := tools.Result{IsError: true, Output: why, Summary: tool + ": not supported"}
	e.finishTool(context.Background(), c, res, time.Now())
	return res
}

// markRead records the file's current content as seen, so DWS's edit or
// overwrite of a file it may never have asked wend to read is allowed, as DWS
// expects; the edit still needs an exact match and the policy's approval.
func (e *Engine) markRead(path string) func() {
	return func() {
		abs := filepath.Join(e.cfg.Root, filepath.FromSlash(path))
		if data, err := os.ReadFile(abs); err == nil {
			_ = e.cfg.Tools.MarkRead(path, data) // a refused path is refused again by Execute
		}
	}
}

// readFiles reads several files, one registry call each, into one answer.
func (e *Engine) readFiles(ctx context.Context, requestID string, paths []string) tools.Result {
	var b strings.Builder
	failed := 0
	for i, p := range paths {
		res := e.runTool(ctx, fmt.Sprintf("%s#%d", requestID, i+1), call(tools.ToolReadFile, map[string]any{"path": p}), nil)
		fmt.Fprintf(&b, "=== %s ===\n", p)
		if res.IsError {
			failed++
			fmt.Fprintf(&b, "Error: %s\n", res.Output)
			continue
		}
		b.WriteString(rawLines(res))
		if !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
	}
	if len(paths) > 0 && failed == len(paths) {
		return tools.Result{IsError: true, Output: b.String()}
	}
	return tools.Result{Output: b.String()}
}

// numbered matches read_file's line prefix ("    12\t").
var numbered = regexp.MustCompile(`(?m)^ *\d+\t`)

// rawLines returns read_file's text without wend's line numbers: DWS's tools
// expect file content, and its edits must match the file exactly.
func rawLines(res tools.Result) string {
	if res.IsError {
		return res.Output
	}
	if !numbered.MatchString(res.Output) {
		if strings.HasSuffix(res.Output, " is empty.") {
			return ""
		}
		return res.Output
	}
	return numbered.ReplaceAllString(res.Output, "")
}

// commandResult formats a run_command result the way DWS's tools read it:
// "Exit code: N\n<output>". A non-zero exit is output, not a failure; a command
// that was refused, timed out or stopped fails with the reason.
func commandResult(res tools.Result) (string, error) {
	out := res.Output
	i := strings.LastIndex(out, "Exit code: ")
	if i < 0 || (i > 0 && out[i-1] != '\n') {
		if res.IsError {
			return "", errors.New(out)
		}
		return out, nil
	}
	line := out[i:]
	rest := ""
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line, rest = line[:j], line[j:]
	}
	body := strings.TrimSuffix(out[:i], "\n")
	if body == "(no output)" {
		body = ""
	}
	return line + "\n" + body + rest, nil
}

// gitCommand runs read-only verbs with the git tool; anything else is a shell
// command "git ..." under the approval policy, run only if approved.
func (e *Engine) gitCommand(ctx context.Context, requestID string, g *contract.RunGitCommand) (string, error) {
	verb := strings.TrimSpace(g.GetCommand())
	args, err := shellSplit(g.GetArguments())
	if err != nil {
		res := e.refuse(requestID, tools.ToolGit, map[string]any{"command": verb, "arguments": g.GetArguments()}, "cannot parse the git arguments: "+err.Error())
		return "", errors.New(res.Output)
	}
	if tools.GitReadOnly(verb) {
		res := e.runTool(ctx, requestID, call(tools.ToolGit, map[string]any{"args": append([]string{verb}, args...)}), nil)
		if res.IsError {
			return "", errors.New(res.Output)
		}
		return res.Output, nil
	}
	return commandResult(e.runTool(ctx, requestID, commandCall(shellJoin(append([]string{"git", verb}, args...)), 0), nil))
}

// mkdir creates a directory inside the repository. The registry has no such
// tool; the path is confined here (no absolute paths, no "..", nothing in .git,
// no symlink leading out) and the call is judged as a write.
func (e *Engine) mkdir(ctx context.Context, requestID, dir string) tools.Result {
	c := call("mkdir", map[string]any{"path": dir})
	c.ID = requestID
	start := time.Now()
	e.log.Append(session.ToolCalled{CallID: c.ID, Tool: c.Name, Args: c.Args, StepID: e.currentStep()})
	req := session.ApprovalRequest{Tool: "mkdir", Kind: session.ApproveWrite, Path: dir, Detail: "create directory " + dir}
	res, ok := e.approve(ctx, c, session.EffectWrite, req)
	if ok {
		res = e.makeDir(dir)
	}
	e.finishTool(ctx, c, res, start)
	return res
}

func (e *Engine) makeDir(dir string) tools.Result {
	fail := func(format string, args ...any) tools.Result {
		msg := fmt.Sprintf(format, args...)
		return tools.Result{IsError: true, Output: msg, Summary: "mkdir: " + msg}
	}
	clean := filepath.Clean(filepath.FromSlash(strings.TrimSpace(dir)))
	if dir == "" || filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return fail("%s is not a path inside the repository; give a relative path", dir)
	}
	for _, part := range strings.Split(clean, string(filepath.Separator)) {
		if part == ".git" {
			return fail("%s is inside .git, which is off-limits", dir)
		}
	}
	root, err := filepath.EvalSymlinks(e.cfg.Root)
	if err != nil {
		return fail("repository root: %v", err)
	}
	// Resolve the deepest existing ancestor: a symlink in the path must not lead out.
	probe := filepath.Join(root, clean)
	for {
		if _, err := os.Lstat(probe); err == nil {
			break
		}
		probe = filepath.Dir(probe)
	}
	real, err := filepath.EvalSymlinks(probe)
	if err != nil || (real != root && !strings.HasPrefix(real, root+string(filepath.Separator))) {
		return fail("%s leads outside the repository", dir)
	}
	if err := os.MkdirAll(filepath.Join(root, clean), 0o755); err != nil {
		return fail("%v", err)
	}
	rel := filepath.ToSlash(clean)
	return tools.Result{Output: "Created directory " + rel, Summary: "mkdir " + rel}
}

// httpRequest answers runHTTPRequest against GitLab with the configured token.
// On the WebSocket path Workhorse normally does this itself.
func (e *Engine) httpRequest(ctx context.Context, s *duo.Stream, requestID string, r *contract.RunHTTPRequest) {
	c := call("gitlab_api", map[string]any{"method": r.GetMethod(), "path": r.GetPath()})
	c.ID = requestID
	start := time.Now()
	e.log.Append(session.ToolCalled{CallID: c.ID, Tool: c.Name, Args: c.Args, StepID: e.currentStep()})
	var resp *contract.HttpResponse
	method := strings.ToUpper(r.GetMethod())
	gate := e.cfg.TransportName != "grpc" && method != "GET" && method != "HEAD"
	if gate {
		// On the WebSocket path the call would carry the user's own token, so a
		// write to GitLab is judged as a command, like any other side effect.
		req := session.ApprovalRequest{Tool: c.Name, Kind: session.ApproveCommand, Detail: method + " " + r.GetPath()}
		if res, ok := e.approve(ctx, c, session.EffectCommand, req); !ok {
			resp = &contract.HttpResponse{StatusCode: 403, Error: res.Output}
		}
	}
	switch {
	case resp != nil:
	case e.cfg.HTTPBaseURL == "":
		resp = &contract.HttpResponse{StatusCode: 403, Error: "wend has no GitLab API access configured for this workflow"}
	default:
		resp = duo.DoHTTPRequest(ctx, e.cfg.HTTPClient, e.cfg.HTTPBaseURL, e.cfg.HTTPToken, r)
	}
	e.redactHTTP(resp)
	res := tools.Result{Summary: e.cfg.Tools.Redact(fmt.Sprintf("%s %s: %d", r.GetMethod(), r.GetPath(), resp.GetStatusCode())),
		IsError: resp.GetError() != "" || resp.GetStatusCode() >= 400, Output: clip(resp.GetBody(), 2000)}
	if resp.GetError() != "" {
		res.Output = resp.GetError()
	}
	e.finishTool(ctx, c, res, start)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), respondTimeout)
	defer cancel()
	if err := s.RespondHTTP(rctx, requestID, resp); err != nil {
		e.notice("warn", "could not answer GitLab Duo's request "+requestID+": "+err.Error())
	}
}

// redactHTTP masks secrets in GitLab's answer (body, error, header values)
// with the registry's redaction, the one every tool result passes through:
// the answer goes to the service, a model, and into the session log, and an
// API answer can hold tokens (CI variables, a pasted glpat in an issue).
func (e *Engine) redactHTTP(resp *contract.HttpResponse) {
	resp.Body = e.cfg.Tools.Redact(resp.GetBody())
	resp.Error = e.cfg.Tools.Redact(resp.GetError())
	for k, v := range resp.GetHeaders() {
		resp.Headers[k] = e.cfg.Tools.Redact(v)
	}
}

func (e *Engine) reportChanges(ctx context.Context, paths []string) {
	if len(paths) == 0 || e.cfg.Review == nil {
		return
	}
	staged, err := e.cfg.Review.Staged(context.WithoutCancel(ctx), paths)
	if err != nil {
		e.notice("error", "recording the change failed: "+err.Error())
		return
	}
	for _, c := range staged {
		e.log.Append(c)
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n…"
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

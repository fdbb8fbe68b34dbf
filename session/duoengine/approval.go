package duoengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
	"gitlab.com/wend/wend/session/tools"
)

// approve applies the approval policy to one call, as session/agent does (see
// steer.Controls.Approve), and keeps the scope of the user's grant in lastScope.
// It returns ok=false with the result the service should read when the call must
// not run.
func (e *Engine) approve(ctx context.Context, c tools.Call, effect session.Effect, req session.ApprovalRequest) (tools.Result, bool) {
	ap := e.ctl.Approve(ctx, steer.Call{Tool: c.Name, Effect: effect,
		Describe: func() (session.ApprovalRequest, string) { return req, e.currentStep() }})
	e.lastScope = ap.Scope
	return tools.Result{IsError: !ap.OK, Summary: ap.Summary, Output: ap.Output}, ap.OK
}

// toolApproval answers TOOL_CALL_APPROVAL_REQUIRED: the pending request in the
// chat log is judged like a local call of the matching wend tool and, when the
// policy asks, shown in wend's approval dialog. The answer goes into the next
// stream's startRequest; a refusal carries the user's reason.
func (e *Engine) toolApproval(ctx context.Context) (*contract.Approval, error) {
	name, args, content := "", json.RawMessage(nil), ""
	if p := duo.PendingApproval(e.tracker.Log.Entries()); p != nil {
		name, args, content = p.ToolInfo.Name, p.ToolInfo.Args, p.Content
	}
	c := dwsToolCall(name, args)
	effect := e.cfg.Tools.Effect(c)
	if effect == session.EffectRead && e.cfg.Policy != session.PolicyFullAuto {
		// The service itself wants the user's go for this call; only full-auto
		// hands that decision to wend's policy for a call wend deems a read.
		effect = session.EffectCommand
	}
	req := e.cfg.Tools.Describe(c)
	if req.Detail == "" {
		req.Detail = content
	}
	res, ok := e.approve(ctx, c, effect, req)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	argsJSON := ""
	if len(args) > 0 {
		argsJSON = string(args)
	}
	if !ok {
		if !e.cfg.Interactive || e.cfg.Policy.Judge(effect) == session.Deny {
			e.notice("warn", "GitLab Duo's request to run "+orDefault(name, "a tool")+" was refused: "+res.Output)
		}
		return duo.Reject(strings.TrimPrefix(res.Output, "The user denied this call. Their reason: ")), nil
	}
	if e.cfg.Policy.Judge(effect) == session.Allow {
		e.notice("info", "GitLab Duo asked to run "+orDefault(name, "a tool")+"; approved by the approval policy ("+string(e.cfg.Policy)+")")
	}
	// A grant wider than once lets the service remember it for the session too.
	remember := e.lastScope != "" && e.lastScope != session.ScopeOnce
	return duo.Approve(name, argsJSON, remember), nil
}

// dwsToolCall maps a DWS tool call (name and arguments from the chat log) to the
// wend tool with the same effect, so approval requests are judged and described
// as they would be for wend's own agent. Unknown tools (GitLab API writes, MCP)
// pass through under their own name, which the registry treats as a command.
func dwsToolCall(name string, raw json.RawMessage) tools.Call {
	var a map[string]any
	_ = json.Unmarshal(raw, &a)
	str := func(keys ...string) string {
		for _, k := range keys {
			if s, ok := a[k].(string); ok {
				return s
			}
		}
		return ""
	}
	switch name {
	case "run_command", "run_shell_command":
		cmd := str("command")
		if p := str("program"); p != "" {
			cmd = strings.TrimSpace(p + " " + fmt.Sprint(a["arguments"]))
		}
		return call(tools.ToolRunCommand, map[string]any{"command": cmd})
	case "run_git_command":
		verb := str("command")
		args, _ := shellSplit(str("args", "arguments"))
		if tools.GitReadOnly(verb) {
			return call(tools.ToolGit, map[string]any{"args": append([]string{verb}, args...)})
		}
		return call(tools.ToolRunCommand, map[string]any{"command": shellJoin(append([]string{"git", verb}, args...))})
	case "edit_file":
		return call(tools.ToolEditFile, map[string]any{"path": str("file_path", "filepath", "path"),
			"old_string": str("old_str", "old_string", "oldString"), "new_string": str("new_str", "new_string", "newString")})
	case "create_file_with_contents", "write_file":
		return call(tools.ToolCreateFile, map[string]any{"path": str("file_path", "filepath", "path"), "content": str("contents", "content")})
	case "read_file", "read_files", "list_dir", "find_files", "grep":
		return call(tools.ToolReadFile, map[string]any{"path": orDefault(str("file_path", "path"), ".")})
	case "mkdir":
		return call(tools.ToolCreateFile, map[string]any{"path": str("directory_path", "path"), "content": ""})
	}
	if name == "" {
		name = "unknown_tool"
	}
	return tools.Call{Name: name, Args: raw}
}

// planApproval answers PLAN_APPROVAL_REQUIRED: the plan is shown for approval
// (interactive), then the service hears resume (approve) or a message with the
// user's reason (replan) through the workflow events API. Headless runs approve,
// as wend's own agent does not wait for plan approval without a user.
func (e *Engine) planApproval(ctx context.Context) error {
	plan := e.Plan()
	id := e.WorkflowID()
	if !e.cfg.Interactive {
		e.notice("info", "GitLab Duo asked to approve its plan; a headless run approves it")
		_, err := e.cfg.Client.SendEvent(ctx, id, duo.EventResume, "", "")
		return err
	}
	e.log.Append(session.PlanProposed{Plan: plan, AwaitingApproval: true})
	d, err := e.ctl.AskPlan(ctx, "plan", len(plan.Steps))
	if err != nil {
		return err
	}
	if d.Approve {
		_, err = e.cfg.Client.SendEvent(ctx, id, duo.EventResume, "", "")
		return err
	}
	msg := "The user did not approve this plan. Their reason: " + orDefault(d.Reason, "(none given)") + " Propose a new plan."
	_, err = e.cfg.Client.SendEvent(ctx, id, duo.EventMessage, msg, "")
	return err
}

// plainWord needs no quoting in a POSIX shell.
var plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellJoin quotes words for sh -c.
func shellJoin(words []string) string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if w == "" {
			continue
		}
		if plainWord.MatchString(w) {
			out = append(out, w)
			continue
		}
		out = append(out, "'"+strings.ReplaceAll(w, "'", `'\''`)+"'")
	}
	return strings.Join(out, " ")
}

// shellSplit splits DWS's one-string git arguments into words, honouring single
// and double quotes and backslashes as a shell would (no expansion).
func shellSplit(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\' && quote != '\'':
			esc, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || esc {
		return nil, errors.New("unterminated quote or escape")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

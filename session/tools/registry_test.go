package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gitlab.com/wend/wend/session"
)

func TestSpecsListsTheContractInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var names []string
	for _, s := range f.reg.Specs() {
		names = append(names, s.Name)
		var schema map[string]any
		if err := json.Unmarshal(s.Schema, &schema); err != nil || schema["type"] != "object" {
			t.Errorf("%s: schema %s: %v", s.Name, s.Schema, err)
		}
		if len(s.Description) < 40 {
			t.Errorf("%s: description too thin for a model: %q", s.Name, s.Description)
		}
		engine := s.Name == ToolSetPlan || s.Name == ToolUpdateStep || s.Name == ToolAskUser || s.Name == ToolFinish
		if s.Engine != engine {
			t.Errorf("%s: Engine = %v", s.Name, s.Engine)
		}
	}
	want := "read_file list_dir find_files grep edit_file create_file run_command git set_plan update_step ask_user finish"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("names:\n got %s\nwant %s", got, want)
	}
	effects := map[string]session.Effect{
		ToolReadFile: session.EffectRead, ToolGit: session.EffectRead, ToolGrep: session.EffectRead,
		ToolEditFile: session.EffectWrite, ToolCreateFile: session.EffectWrite, ToolRunCommand: session.EffectCommand,
		"no_such_tool": session.EffectCommand,
	}
	for name, want := range effects {
		if got := f.reg.Effect(Call{Name: name}); got != want {
			t.Errorf("Effect(%s) = %s, want %s", name, got, want)
		}
	}
}

func TestMalformedCallsAreErrorResults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, map[string]string{"a.txt": "a\n"})
	for _, tc := range []struct {
		name, tool string
		args       any
		want       []string
	}{
		{"bad JSON", ToolReadFile, `{"path": "a.txt"`, []string{"not valid JSON", "Expected arguments: path (string, required)"}},
		{"not an object", ToolReadFile, `["a.txt"]`, []string{"must be a JSON object"}},
		{"missing argument", ToolReadFile, `{}`, []string{`missing required argument "path"`, "limit (integer); offset (integer)"}},
		{"empty args", ToolEditFile, ``, []string{`missing required argument "path"`, `missing required argument "old_string"`}},
		{"wrong type", ToolReadFile, `{"path": "a.txt", "offset": "ten"}`, []string{`argument "offset" must be an integer, got a string`}},
		{"fraction for integer", ToolReadFile, `{"path": "a.txt", "limit": 1.5}`, []string{`"limit" must be a whole number`}},
		{"unknown argument", ToolReadFile, `{"file_path": "a.txt"}`, []string{`unknown argument "file_path"`, `missing required argument "path"`}},
		{"list of non-strings", ToolGit, `{"args": [1, 2]}`, []string{`"args" must be a list of strings`}},
		{"boolean as string", ToolGrep, `{"pattern": "a", "case_insensitive": "yes"}`, []string{`"case_insensitive" must be a boolean`}},
		{"unknown tool", "delete_everything", `{}`, []string{`Unknown tool "delete_everything"`, "read_file"}},
		{"engine tool", ToolFinish, `{"summary": "x"}`, []string{"handled by the engine"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.mustFail(tc.tool, json.RawMessage(tc.args.(string)), tc.want...)
		})
	}
	// Engine tools are validated, though not executed.
	if _, res, ok := f.reg.Validate(Call{Name: ToolSetPlan, Args: json.RawMessage(`{"steps": "one"}`)}); ok || !strings.Contains(res.Output, `"steps" must be a list of strings`) {
		t.Errorf("Validate(set_plan with a string): ok=%v %q", ok, res.Output)
	}
	if args, _, ok := f.reg.Validate(Call{Name: ToolUpdateStep, Args: json.RawMessage(`{"step": "2", "status": "done", "note": null}`)}); !ok || string(args) != `{"status":"done","step":"2"}` {
		t.Errorf("Validate(update_step) = %s, %v", args, ok)
	}
	// null for an optional argument means "not given".
	f.mustOK(ToolReadFile, `{"path": "a.txt", "offset": null}`)
}

func TestRegisterExtraTools(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	spec := Spec{
		Name:        "gitlab_get_issue",
		Description: "Fetch an issue.",
		Schema:      json.RawMessage(`{"type":"object","properties":{"ref":{"type":"string"}},"required":["ref"],"additionalProperties":false}`),
		Effect:      session.EffectRead,
	}
	var got string
	err := f.reg.Register(spec, func(_ context.Context, args json.RawMessage) Result {
		var a struct{ Ref string }
		_ = json.Unmarshal(args, &a)
		got = a.Ref
		return Result{Output: "issue " + a.Ref}
	})
	if err != nil {
		t.Fatal(err)
	}
	specs := f.reg.Specs()
	if specs[len(specs)-1].Name != "gitlab_get_issue" {
		t.Errorf("registered tool not last: %v", specs[len(specs)-1].Name)
	}
	res := f.mustOK("gitlab_get_issue", obj{"ref": "#12"})
	if got != "#12" || res.Output != "issue #12" || res.Summary != "gitlab_get_issue" {
		t.Errorf("got %q, result %+v", got, res)
	}
	// The schema checks apply to registered tools too.
	f.mustFail("gitlab_get_issue", obj{}, `missing required argument "ref"`, "ref (string, required)")

	if err := f.reg.Register(spec, func(context.Context, json.RawMessage) Result { return Result{} }); err == nil {
		t.Error("duplicate registration accepted")
	}
	if err := f.reg.Register(Spec{Name: "x", Schema: json.RawMessage(`{"type":"array"}`)}, func(context.Context, json.RawMessage) Result { return Result{} }); err == nil {
		t.Error("non-object schema accepted")
	}
	if err := f.reg.Register(Spec{Name: "y"}, nil); err == nil {
		t.Error("nil handler accepted for a non-engine tool")
	}
}

func TestExecuteRecoversFromPanics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	if err := f.reg.Register(Spec{Name: "boom", Effect: session.EffectRead}, func(context.Context, json.RawMessage) Result {
		panic("kaboom")
	}); err != nil {
		t.Fatal(err)
	}
	f.mustFail("boom", `{}`, "Internal error in boom: kaboom")
}

func TestNewRefusesNonRepository(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{Root: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Fatalf("err = %v", err)
	}
}

func TestEnumArgumentsAreChecked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	spec := Spec{
		Name: "gitlab_search", Effect: session.EffectRead,
		Schema: json.RawMessage(`{"type":"object","properties":{"scope":{"type":"string","enum":["issues","merge_requests"]},"query":{"type":"string"}},"required":["scope","query"]}`),
	}
	if err := f.reg.Register(spec, func(context.Context, json.RawMessage) Result { return Result{Output: "ok"} }); err != nil {
		t.Fatal(err)
	}
	f.mustOK("gitlab_search", obj{"scope": "issues", "query": "x"})
	f.mustFail("gitlab_search", obj{"scope": "epics", "query": "x"},
		`argument "scope" is "epics"; it must be one of issues, merge_requests`,
		"scope (string: one of issues, merge_requests, required)")
}

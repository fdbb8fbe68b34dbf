package tools

import (
	"encoding/json"
	"fmt"

	"gitlab.com/wend/wend/session"
)

// Tool names, stable: recorded conversations and tests depend on them.
const (
	ToolReadFile   = "read_file"
	ToolListDir    = "list_dir"
	ToolFindFiles  = "find_files"
	ToolGrep       = "grep"
	ToolEditFile   = "edit_file"
	ToolCreateFile = "create_file"
	ToolRunCommand = "run_command"
	ToolGit        = "git"
	ToolSetPlan    = "set_plan"
	ToolUpdateStep = "update_step"
	ToolAskUser    = "ask_user"
	ToolFinish     = "finish"
)

// param is one argument of a tool. From a list of them come both the JSON Schema
// the model sees and the "expected arguments" line of error messages, so the two
// cannot disagree.
type param struct {
	name     string
	typ      string // "string", "integer", "boolean", "array" (of strings)
	desc     string
	required bool
	enum     []string
	// oneOfString lets an array argument also be given as one string (git's args).
	oneOfString bool
}

// def is a built-in tool: its spec and parameters.
type def struct {
	spec   Spec
	params []param
}

// schema builds a JSON Schema object for params.
func schema(params []param) json.RawMessage {
	props := map[string]any{}
	var required []string
	for _, p := range params {
		prop := map[string]any{"type": p.typ, "description": p.desc}
		if p.typ == "array" {
			prop["items"] = map[string]any{"type": "string"}
		}
		if p.oneOfString {
			prop = map[string]any{
				"description": p.desc,
				"anyOf": []any{
					map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
					map[string]any{"type": "string"},
				},
			}
		}
		if len(p.enum) > 0 {
			prop["enum"] = p.enum
		}
		props[p.name] = prop
		if p.required {
			required = append(required, p.name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	b, err := json.Marshal(s) // map keys are sorted: the schema is deterministic
	if err != nil {
		panic(err)
	}
	return b
}

func newDef(name string, effect session.Effect, engine bool, desc string, params ...param) def {
	return def{
		spec:   Spec{Name: name, Description: desc, Schema: schema(params), Effect: effect, Engine: engine},
		params: params,
	}
}

const pathDesc = "Path relative to the repository root, e.g. \"cmd/main.go\". Absolute paths and paths leaving the repository are refused."

// builtins are the tools of DESIGN.md except the gitlab_* ones, in the order the
// model sees them.
func builtins() []def {
	return []def{
		newDef(ToolReadFile, session.EffectRead, false,
			"Read a text file of the repository. Lines are numbered from 1 (the numbers are not part of the file). "+
				"Large files are returned in pages: use offset and limit to read further. Binary files are refused. "+
				"You must read a file before editing or overwriting it.",
			param{name: "path", typ: "string", desc: pathDesc, required: true},
			param{name: "offset", typ: "integer", desc: "First line to return, 1-based (default 1)."},
			param{name: "limit", typ: "integer", desc: fmt.Sprintf("Maximum number of lines to return (default %d).", defaultReadLines)},
		),
		newDef(ToolListDir, session.EffectRead, false,
			"List a directory of the repository: each entry with its type (dir, file, symlink) and size in bytes. "+
				"Files ignored by git and the .git directory are hidden. Use \".\" for the repository root.",
			param{name: "path", typ: "string", desc: "Directory relative to the repository root; \".\" is the root.", required: true},
		),
		newDef(ToolFindFiles, session.EffectRead, false,
			"Find files by glob pattern among the files git knows (tracked, and untracked but not ignored). "+
				"A pattern without \"/\" matches file names in any directory (\"*_test.go\"); "+
				"a pattern with \"/\" matches the path from the root (\"cmd/**/*.go\", \"docs/*.md\"). "+
				"`**` matches any number of directories; {a,b} alternatives are allowed.",
			param{name: "pattern", typ: "string", desc: "Glob pattern, e.g. \"**/*.go\" or \"internal/**/handler*.go\".", required: true},
		),
		newDef(ToolGrep, session.EffectRead, false,
			"Search file contents with a regular expression (RE2 syntax: no backreferences or lookaround) "+
				"over the files git knows; binary files are skipped. Returns path:line:text lines, capped, "+
				"with a count of the matches left out.",
			param{name: "pattern", typ: "string", desc: "Regular expression, e.g. \"func \\\\w+Handler\" or \"TODO\\\\(\".", required: true},
			param{name: "path", typ: "string", desc: "Limit the search to this file or directory (relative to the repository root)."},
			param{name: "glob", typ: "string", desc: "Only search files matching this glob, with the same rules as find_files, e.g. \"*.go\"."},
			param{name: "case_insensitive", typ: "boolean", desc: "Match regardless of case (default false)."},
		),
		newDef(ToolEditFile, session.EffectWrite, false,
			"Replace an exact piece of text in a file you have read. old_string must match the file exactly, "+
				"including whitespace and indentation (do not include the line numbers read_file shows), and must "+
				"occur exactly once unless replace_all is true: include enough surrounding lines to make it unique. "+
				"Fails if the file changed on disk since you last read it; read it again then.",
			param{name: "path", typ: "string", desc: pathDesc, required: true},
			param{name: "old_string", typ: "string", desc: "The exact text to replace; not empty.", required: true},
			param{name: "new_string", typ: "string", desc: "The replacement text (may be empty to delete).", required: true},
			param{name: "replace_all", typ: "boolean", desc: "Replace every occurrence instead of requiring exactly one (default false)."},
		),
		newDef(ToolCreateFile, session.EffectWrite, false,
			"Create a file with the given content, creating parent directories as needed. "+
				"Overwriting an existing file is allowed only after you have read it; prefer edit_file for changes.",
			param{name: "path", typ: "string", desc: pathDesc, required: true},
			param{name: "content", typ: "string", desc: "The complete file content.", required: true},
		),
		newDef(ToolRunCommand, session.EffectCommand, false,
			"Run a shell command (sh -c) in the repository root, e.g. to build, test or format. stdin is empty, "+
				"so interactive commands fail; background processes are killed when the command ends. "+
				"Output (stdout and stderr combined) is capped, keeping its beginning and end, and the exit code is "+
				"returned. The command may need the user's approval. Do not use it to read or edit files: "+
				"use read_file, grep and edit_file.",
			param{name: "command", typ: "string", desc: "The shell command line, e.g. \"go test ./...\".", required: true},
			param{name: "timeout_seconds", typ: "integer", desc: "Kill the command after this many seconds (default and maximum are set by the user)."},
			param{name: "network", typ: "boolean", desc: "Set true only when the command must reach the network, e.g. to download dependencies; the user must approve it. Commands have no network otherwise."},
		),
		newDef(ToolGit, session.EffectRead, false,
			"Run a read-only git command: status, log, diff, show, blame, or branch (listing only). "+
				"Anything that changes the repository is refused. Output is capped.",
			param{name: "args", typ: "array", oneOfString: true, required: true,
				desc: "Arguments after \"git\", e.g. [\"log\", \"--oneline\", \"-n\", \"10\"] or [\"diff\", \"HEAD~1\", \"--\", \"main.go\"]."},
		),
		newDef(ToolSetPlan, session.EffectRead, true,
			"Replace the pending steps of the plan with these steps, in order. Steps already started or finished are kept. "+
				"Returns the plan with step ids; use them with update_step.",
			param{name: "steps", typ: "array", required: true, desc: "Step titles, short imperative sentences, in order."},
		),
		newDef(ToolUpdateStep, session.EffectRead, true,
			"Move a plan step to a new status: in_progress when you start it, then done, skipped or failed.",
			param{name: "step", typ: "string", required: true, desc: "The step id returned by set_plan, e.g. \"2\"."},
			// No enum: the engine also accepts synonyms (session.ParseStepStatus).
			param{name: "status", typ: "string", required: true, desc: "The new status: in_progress, done, skipped or failed."},
			param{name: "note", typ: "string", desc: "A short note for the user, e.g. why a step failed or was skipped."},
		),
		newDef(ToolAskUser, session.EffectRead, true,
			"Ask the user a question and wait for the answer. Use it only when you cannot proceed without a decision.",
			param{name: "question", typ: "string", required: true, desc: "The question, self-contained."},
		),
		newDef(ToolFinish, session.EffectRead, true,
			"End the run. Call it once the task is done (or cannot be done), after updating the plan.",
			param{name: "summary", typ: "string", required: true, desc: "What was done and what is left, for the user."},
		),
	}
}

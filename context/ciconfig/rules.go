package ciconfig

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// rules reads a job's rules and judges each `if:` with env, GitLab's way
// (the first rule that matches decides). Expressions wend cannot judge
// (parentheses, variables only a runner has) are "unknown", never guessed.
func rules(v any, env map[string]string) []Rule {
	list, _ := v.([]any)
	var out []Rule
	decided := false
	for _, e := range list {
		m, _ := e.(map[string]any)
		r := Rule{If: str(m["if"], ""), When: str(m["when"], "on_success")}
		switch {
		case decided:
			r.Matched = "not reached (an earlier rule matched)"
		case r.If == "":
			r.Matched = "yes"
		default:
			ok, err := evalIf(r.If, env)
			switch {
			case err != nil:
				r.Matched = "unknown (" + err.Error() + ")"
			case ok:
				r.Matched = "yes"
			default:
				r.Matched = "no"
			}
		}
		if r.Matched == "yes" {
			decided = true
		}
		out = append(out, r)
	}
	return out
}

// Compiled on first use (wend's startup budget).
var (
	cmpExpr = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\$\{?(\w+)\}?\s*(==|!=|=~|!~)\s*(.+)$`) })
	varExpr = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(!?)\$\{?(\w+)\}?$`) })
)

// evalIf judges a rules:if expression made of comparisons, variable tests,
// && and ||.
func evalIf(expr string, env map[string]string) (bool, error) {
	if strings.ContainsAny(expr, "()") {
		return false, fmt.Errorf("parentheses are not judged locally")
	}
	for _, alt := range strings.Split(expr, "||") {
		all := true
		for _, term := range strings.Split(alt, "&&") {
			ok, err := evalTerm(strings.TrimSpace(term), env)
			if err != nil {
				return false, err
			}
			all = all && ok
		}
		if all {
			return true, nil
		}
	}
	return false, nil
}

func evalTerm(t string, env map[string]string) (bool, error) {
	if m := varExpr().FindStringSubmatch(t); m != nil {
		set := env[m[2]] != ""
		return set != (m[1] == "!"), nil
	}
	m := cmpExpr().FindStringSubmatch(t)
	if m == nil {
		return false, fmt.Errorf("cannot read %q", t)
	}
	left, op, right := env[m[1]], m[2], strings.TrimSpace(m[3])
	switch op {
	case "==", "!=":
		var val string
		switch {
		case right == "null":
			val = ""
		case len(right) >= 2 && (right[0] == '"' || right[0] == '\'') && right[len(right)-1] == right[0]:
			val = right[1 : len(right)-1]
		case strings.HasPrefix(right, "$"):
			val = env[strings.Trim(right, "${}")]
		default:
			return false, fmt.Errorf("cannot read %q", right)
		}
		return (left == val) == (op == "=="), nil
	}
	if len(right) < 2 || right[0] != '/' {
		return false, fmt.Errorf("cannot read pattern %q", right)
	}
	end := strings.LastIndex(right, "/")
	pat, flags := right[1:end], right[end+1:]
	if strings.Contains(flags, "i") {
		pat = "(?i)" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return false, fmt.Errorf("pattern %s: %v", right, err)
	}
	return re.MatchString(left) == (op == "=~"), nil
}

// Runs reports whether the rules let the job run locally: "" when they do
// (or there are none), else why not.
func (j *Job) Runs() string {
	for _, r := range j.Rules {
		if r.Matched == "yes" {
			if r.When == "never" {
				return fmt.Sprintf("its rule `if: %s` says when: never with the local values", r.If)
			}
			return ""
		}
	}
	if len(j.Rules) > 0 {
		for _, r := range j.Rules {
			if strings.HasPrefix(r.Matched, "unknown") {
				return ""
			}
		}
		return "no rule matched with the local values"
	}
	return ""
}

// Command is the job's script as one shell command: its variables exported,
// then each line, stopping at the first that fails (as a runner does), then
// after_script whatever happened, and the script's exit status.
func (j *Job) Command() string {
	var b strings.Builder
	for _, kv := range j.Variables {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], quote(kv[1]))
	}
	if len(j.AfterScript) == 0 {
		b.WriteString("set -e\n")
		for _, l := range j.Script {
			b.WriteString(l + "\n")
		}
		return b.String()
	}
	b.WriteString("(\nset -e\n")
	for _, l := range j.Script {
		b.WriteString(l + "\n")
	}
	b.WriteString(")\nstatus=$?\n(\n")
	for _, l := range j.AfterScript {
		b.WriteString(l + "\n")
	}
	b.WriteString(")\nexit $status\n")
	return b.String()
}

// quote makes s one shell word that the shell still expands variables in
// (GitLab expands $VAR references in variables).
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`").Replace(s) + `"`
}

// Package ciconfig reads a repository's .gitlab-ci.yml far enough to run one
// job's script on this machine: it resolves include: local, default:,
// extends:, !reference, before_script, variables and the rules that can be
// judged locally, and says what it could not resolve (remote includes,
// components, the job's image). It is not a CI interpreter: it produces the
// job's script and variables, and the caller runs them under its own
// approval policy and sandbox.
package ciconfig

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File is the pipeline configuration at the repository's root.
const File = ".gitlab-ci.yml"

// maxIncludes and maxExtends bound what a configuration may ask for, as
// GitLab does (150 includes; 11 levels of extends).
const (
	maxIncludes = 150
	maxExtends  = 11
	maxFileSize = 1 << 20
)

// reserved top-level keys are not jobs.
var reserved = map[string]bool{"default": true, "include": true, "stages": true, "variables": true, "workflow": true,
	"image": true, "services": true, "cache": true, "before_script": true, "after_script": true, "spec": true}

// Job is what running a job locally needs.
type Job struct {
	Name  string
	Stage string
	// Image is the job's image ("" when none is set).
	Image string
	// Script is before_script then script, one shell line per entry.
	Script []string
	// AfterScript runs after Script whatever its result (GitLab runs it in a
	// separate shell).
	AfterScript []string
	// Variables are the pipeline's then the job's, in the order defined
	// (names sorted within each level), values as written.
	Variables [][2]string
	// Rules are the job's rules as written, with what they decide locally.
	Rules []Rule
	// Notes say what was not resolved or differs from a runner.
	Notes []string
}

// Rule is one entry of rules: as written, and whether it matched with the
// local values of the predefined variables.
type Rule struct {
	If      string
	When    string
	Matched string // "yes", "no" or "unknown (why)"
}

// Config is a parsed configuration with its includes merged.
type Config struct {
	root  map[string]any
	notes []string
}

// Load reads File under root and its local includes.
func Load(root string) (*Config, error) {
	c := &Config{root: map[string]any{}}
	seen := map[string]bool{}
	if err := c.load(root, File, seen, true); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) load(root, rel string, seen map[string]bool, top bool) error {
	rel = strings.TrimPrefix(filepath.ToSlash(filepath.Clean("/"+rel)), "/")
	if seen[rel] {
		return nil
	}
	if len(seen) >= maxIncludes {
		return fmt.Errorf("more than %d included files", maxIncludes)
	}
	seen[rel] = true
	path := filepath.Join(root, filepath.FromSlash(rel))
	if real, err := filepath.EvalSymlinks(path); err == nil {
		if r, err := filepath.EvalSymlinks(root); err == nil && !strings.HasPrefix(real, r+string(filepath.Separator)) {
			return fmt.Errorf("%s resolves outside the repository", rel)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		if top && errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no %s in the repository", File)
		}
		return fmt.Errorf("include %s: %w", rel, err)
	}
	if fi.Size() > maxFileSize {
		return fmt.Errorf("%s is larger than %d bytes", rel, maxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// A CI/CD component's file starts with a spec: document, then ---.
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc map[string]any
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if err.Error() == "EOF" {
				break
			}
			return fmt.Errorf("%s: %w", rel, err)
		}
		v, err := convert(&n)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		m, _ := v.(map[string]any)
		if _, spec := m["spec"]; spec && len(m) == 1 {
			continue
		}
		doc = m
	}
	if doc == nil {
		return nil
	}
	// Included files come first; the including file's keys win.
	for _, inc := range includes(doc["include"]) {
		switch {
		case inc.local != "":
			if strings.ContainsAny(inc.local, "*") {
				matches, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(inc.local, "/"))))
				for _, m := range matches {
					r, _ := filepath.Rel(root, m)
					if err := c.load(root, r, seen, false); err != nil {
						return err
					}
				}
				continue
			}
			if err := c.load(root, inc.local, seen, false); err != nil {
				return err
			}
		default:
			c.notes = append(c.notes, fmt.Sprintf("include %s is not read locally: jobs or defaults it defines are missing here", inc.other))
		}
	}
	delete(doc, "include")
	for k, v := range doc {
		if old, ok := c.root[k].(map[string]any); ok {
			if nv, ok := v.(map[string]any); ok {
				c.root[k] = deepMerge(old, nv)
				continue
			}
		}
		c.root[k] = v
	}
	return nil
}

type include struct{ local, other string }

func includes(v any) []include {
	var out []include
	var one func(any)
	one = func(x any) {
		switch t := x.(type) {
		case string:
			if strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
				out = append(out, include{other: "remote " + t})
			} else {
				out = append(out, include{local: t})
			}
		case []any:
			for _, e := range t {
				one(e)
			}
		case map[string]any:
			if l, ok := t["local"].(string); ok {
				out = append(out, include{local: l})
				return
			}
			for _, k := range []string{"project", "remote", "template", "component"} {
				if s, ok := t[k]; ok {
					out = append(out, include{other: fmt.Sprintf("%s %v", k, s)})
					return
				}
			}
			out = append(out, include{other: fmt.Sprint(t)})
		}
	}
	one(v)
	return out
}

// reference is a !reference [.job, key, ...] tag, resolved after merging.
type reference []string

// convert turns a YAML node into maps, slices and scalars, keeping
// !reference tags and following anchors (yaml.v3 merges << itself).
func convert(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convert(n.Content[0])
	case yaml.AliasNode:
		return convert(n.Alias)
	case yaml.SequenceNode:
		if n.Tag == "!reference" {
			var ref reference
			for _, c := range n.Content {
				ref = append(ref, c.Value)
			}
			return ref, nil
		}
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				merged, err := convert(v)
				if err != nil {
					return nil, err
				}
				var list []any
				if l, ok := merged.([]any); ok {
					list = l
				} else {
					list = []any{merged}
				}
				for _, m := range list {
					if mm, ok := m.(map[string]any); ok {
						for mk, mv := range mm {
							if _, set := out[mk]; !set {
								out[mk] = mv
							}
						}
					}
				}
				continue
			}
			cv, err := convert(v)
			if err != nil {
				return nil, err
			}
			out[k.Value] = cv
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return n.Value, nil
		}
		return v, nil
	}
	return nil, nil
}

// deepMerge merges b over a as GitLab's extends does: hashes merge key by
// key, everything else (arrays included) is replaced.
func deepMerge(a, b map[string]any) map[string]any {
	out := maps.Clone(a)
	for k, v := range b {
		am, aok := out[k].(map[string]any)
		bm, bok := v.(map[string]any)
		if aok && bok {
			out[k] = deepMerge(am, bm)
			continue
		}
		out[k] = v
	}
	return out
}

// Jobs lists the runnable jobs (not hidden, not reserved keys), sorted.
func (c *Config) Jobs() []string {
	var out []string
	for k, v := range c.root {
		if _, ok := v.(map[string]any); ok && !reserved[k] && !strings.HasPrefix(k, ".") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Job resolves one job for a local run; env gives the local values of the
// predefined variables its rules may test (CI_COMMIT_BRANCH, ...).
func (c *Config) Job(name string, env map[string]string) (*Job, error) {
	raw, ok := c.root[name].(map[string]any)
	if !ok || reserved[name] {
		jobs := c.Jobs()
		return nil, fmt.Errorf("no job %q in %s (jobs: %s)", name, File, strings.Join(jobs, ", "))
	}
	def, err := c.extend(raw, 0, []string{name})
	if err != nil {
		return nil, err
	}
	if err := c.resolveRefs(def, 0); err != nil {
		return nil, err
	}
	j := &Job{Name: name, Stage: str(def["stage"], "test"), Notes: slices.Clone(c.notes)}
	dflt, _ := c.root["default"].(map[string]any)
	if dflt != nil {
		if err := c.resolveRefs(dflt, 0); err != nil {
			return nil, err
		}
	}
	pick := func(key string) any {
		if v, ok := def[key]; ok {
			return v
		}
		if v, ok := dflt[key]; ok {
			return v
		}
		return c.root[key] // the deprecated global keywords
	}
	j.Image = imageName(pick("image"))
	if _, isTrigger := def["trigger"]; isTrigger {
		return nil, fmt.Errorf("job %q triggers a downstream pipeline; it has no script to run locally", name)
	}
	script := lines(def["script"])
	if len(script) == 0 {
		return nil, fmt.Errorf("job %q has no script", name)
	}
	j.Script = append(lines(pick("before_script")), script...)
	j.AfterScript = lines(pick("after_script"))
	for _, level := range []any{c.root["variables"], def["variables"]} {
		m, _ := level.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			j.Variables = append(j.Variables, [2]string{k, variableValue(m[k])})
		}
	}
	j.Variables = expandVars(j.Variables)
	j.Rules = rules(def["rules"], mergedEnv(env, j.Variables))
	if svc, _ := def["services"].([]any); len(svc) > 0 {
		j.Notes = append(j.Notes, "the job uses services (databases, docker:dind, ...) that are not started locally")
	}
	return j, nil
}

// extend applies the job's extends chain, parents first.
func (c *Config) extend(job map[string]any, depth int, chain []string) (map[string]any, error) {
	if depth > maxExtends {
		return nil, fmt.Errorf("extends nests deeper than %d levels (%s)", maxExtends, strings.Join(chain, " → "))
	}
	var parents []string
	switch e := job["extends"].(type) {
	case string:
		parents = []string{e}
	case []any:
		for _, p := range e {
			parents = append(parents, fmt.Sprint(p))
		}
	}
	out := map[string]any{}
	for _, p := range parents {
		if slices.Contains(chain, p) {
			return nil, fmt.Errorf("extends loops: %s → %s", strings.Join(chain, " → "), p)
		}
		pm, ok := c.root[p].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s extends %q, which is not defined (an include not read locally?)", chain[len(chain)-1], p)
		}
		resolved, err := c.extend(pm, depth+1, append(chain, p))
		if err != nil {
			return nil, err
		}
		out = deepMerge(out, resolved)
	}
	own := maps.Clone(job)
	delete(own, "extends")
	return deepMerge(out, own), nil
}

// resolveRefs replaces !reference tags in m in place.
func (c *Config) resolveRefs(m map[string]any, depth int) error {
	if depth > 10 {
		return errors.New("!reference nests deeper than 10 levels")
	}
	for k, v := range m {
		nv, err := c.resolveValue(v, depth)
		if err != nil {
			return err
		}
		m[k] = nv
	}
	return nil
}

func (c *Config) resolveValue(v any, depth int) (any, error) {
	switch t := v.(type) {
	case reference:
		var cur any = c.root
		for _, key := range t {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("!reference %v: %q is not a mapping", []string(t), key)
			}
			if cur, ok = m[key]; !ok {
				return nil, fmt.Errorf("!reference %v: no %q", []string(t), key)
			}
		}
		return c.resolveValue(cur, depth+1)
	case []any:
		var out []any
		for _, e := range t {
			r, err := c.resolveValue(e, depth)
			if err != nil {
				return nil, err
			}
			// A referenced script list is spliced into the enclosing list.
			if _, isRef := e.(reference); isRef {
				if l, ok := r.([]any); ok {
					out = append(out, l...)
					continue
				}
			}
			out = append(out, r)
		}
		return out, nil
	case map[string]any:
		cp := maps.Clone(t)
		return cp, c.resolveRefs(cp, depth+1)
	}
	return v, nil
}

func lines(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, lines(e)...)
		}
		return out
	case nil:
		return nil
	}
	return []string{fmt.Sprint(v)}
}

func str(v any, dflt string) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return dflt
}

func imageName(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		return str(t["name"], "")
	}
	return ""
}

func variableValue(v any) string {
	if m, ok := v.(map[string]any); ok {
		v = m["value"]
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func mergedEnv(env map[string]string, vars [][2]string) map[string]string {
	out := maps.Clone(env)
	if out == nil {
		out = map[string]string{}
	}
	for _, kv := range vars {
		out[kv[0]] = os.Expand(kv[1], func(k string) string { return out[k] })
	}
	return out
}

// expandVars resolves references between the variables themselves, as GitLab
// does whatever their order; other $NAMEs are left for the shell.
func expandVars(vars [][2]string) [][2]string {
	defined := map[string]string{}
	for _, kv := range vars {
		defined[kv[0]] = kv[1]
	}
	var expand func(s string, depth int) string
	expand = func(s string, depth int) string {
		return os.Expand(s, func(k string) string {
			v, ok := defined[k]
			if !ok || depth > 10 {
				return "${" + k + "}"
			}
			return expand(v, depth+1)
		})
	}
	out := make([][2]string, len(vars))
	for i, kv := range vars {
		out[i] = [2]string{kv[0], expand(kv[1], 0)}
	}
	return out
}

package ciconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Components finds the CI/CD components of a repository, as GitLab's catalog
// does: templates/NAME.yml and templates/NAME/template.yml. None is not an
// error.
func Components(root string) ([]string, error) {
	dir := filepath.Join(root, "templates")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch {
		case !e.IsDir() && (strings.HasSuffix(e.Name(), ".yml") || strings.HasSuffix(e.Name(), ".yaml")):
			out = append(out, filepath.Join("templates", e.Name()))
		case e.IsDir():
			for _, n := range []string{"template.yml", "template.yaml"} {
				if _, err := os.Stat(filepath.Join(dir, e.Name(), n)); err == nil {
					out = append(out, filepath.Join("templates", e.Name(), n))
				}
			}
		}
	}
	return out, nil
}

// interpolation is compiled on first use (wend's startup budget).
var interpolation = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\$\[\[\s*inputs\.([A-Za-z0-9_-]+)[^\]]*\]\]`)
})

// CheckComponent validates one component file: its spec: header declares
// inputs GitLab accepts (type, default of that type, default among options
// and matching regex), the body is YAML, and every $[[ inputs.x ]] it uses is
// declared. It returns the problems found, each naming the input or line.
func CheckComponent(root, rel string) []string {
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return []string{err.Error()}
	}
	text := string(data)
	head, body, found := strings.Cut(text, "\n---")
	if !found || !strings.Contains(head, "spec:") {
		return []string{"no spec: header followed by ---: a component declares its inputs there"}
	}
	var spec struct {
		Spec struct {
			Inputs map[string]map[string]any `yaml:"inputs"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(head), &spec); err != nil {
		return []string{"spec: " + err.Error()}
	}
	var problems []string
	for _, name := range sortedKeys(spec.Spec.Inputs) {
		problems = append(problems, checkInput(name, spec.Spec.Inputs[name])...)
	}
	for _, m := range interpolation().FindAllStringSubmatch(body, -1) {
		if _, ok := spec.Spec.Inputs[m[1]]; !ok {
			problems = append(problems, fmt.Sprintf("%s uses inputs.%s, which spec: does not declare", strings.TrimSpace(m[0]), m[1]))
		}
	}
	var v any
	if err := yaml.Unmarshal([]byte(interpolation().ReplaceAllString(body, "x")), &v); err != nil {
		problems = append(problems, "the body is not YAML: "+err.Error())
	}
	return problems
}

func checkInput(name string, in map[string]any) []string {
	var out []string
	typ, _ := in["type"].(string)
	if typ == "" {
		typ = "string"
	}
	if !slices.Contains([]string{"string", "number", "boolean", "array"}, typ) {
		return []string{fmt.Sprintf("input %s: type %q is not string, number, boolean or array", name, typ)}
	}
	def, hasDefault := in["default"]
	if hasDefault && def != nil && !ofType(def, typ) {
		out = append(out, fmt.Sprintf("input %s: default %v is not a %s", name, def, typ))
	}
	if opts, ok := in["options"]; ok {
		list, ok := opts.([]any)
		switch {
		case !ok || len(list) == 0:
			out = append(out, fmt.Sprintf("input %s: options must be a non-empty list", name))
		case hasDefault && !slices.ContainsFunc(list, func(o any) bool { return fmt.Sprint(o) == fmt.Sprint(def) }):
			out = append(out, fmt.Sprintf("input %s: default %v is not one of its options", name, def))
		}
	}
	if re, ok := in["regex"].(string); ok {
		rx, err := regexp.Compile(strings.TrimSuffix(strings.TrimPrefix(re, "/"), "/"))
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("input %s: regex %s: %v", name, re, err))
		case hasDefault && def != nil && !rx.MatchString(fmt.Sprint(def)):
			out = append(out, fmt.Sprintf("input %s: default %v does not match its regex %s", name, def, re))
		}
	}
	return out
}

func ofType(v any, typ string) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		switch v.(type) {
		case int, int64, float64:
			return true
		}
		return false
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

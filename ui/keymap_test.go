package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"

	"gitlab.com/wend/wend/ui/keys"
)

// dispatchSources are the files of the main screen's key dispatch: onKey and
// its helpers, the review (ui/review), the dialogs (ui/dialog), the plan checklist.
var dispatchSources = []string{"*.go", "plan/*.go", "review/*.go", "dialog/*.go"}

// matchedBindings reads the dispatch sources and returns the KeyMap fields
// passed to key.Matches (or handed to a component by their Keys), and every place a key is compared as a string
// (msg.String() == "x", switch msg.String()), which would bypass the table.
func matchedBindings(t *testing.T) (fields map[string]bool, literal []string) {
	t.Helper()
	fields = map[string]bool{}
	fset := token.NewFileSet()
	for _, glob := range dispatchSources {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "key" && sel.Sel.Name == "Matches" {
					for _, a := range call.Args[1:] {
						if s, ok := a.(*ast.SelectorExpr); ok {
							fields[s.Sel.Name] = true
						}
					}
				}
				// km.Newline.Keys(): the binding is handed to a component
				// (the input's own key map), which dispatches it.
				if s, ok := sel.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Keys" {
					fields[s.Sel.Name] = true
				}
				if sel.Sel.Name == "String" && len(call.Args) == 0 {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "msg" {
						literal = append(literal, fset.Position(call.Pos()).String())
					}
				}
				return true
			})
		}
	}
	return fields, literal
}

// fieldOf names the KeyMap field a row's binding lives in.
func fieldOf(t *testing.T, km *keys.KeyMap, r keys.Row) string {
	t.Helper()
	v := reflect.ValueOf(km).Elem()
	want := r.Binding(km)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Addr().Interface().(*key.Binding) == want {
			return v.Type().Field(i).Name
		}
	}
	t.Fatalf("row %q points at no field of KeyMap", r.Action)
	return ""
}

// The key table is the one place a key is declared: every binding the
// dispatcher matches is a row of it shown in the help (or drawn by its own
// screen), every row is matched somewhere, every KeyMap field has a row, and
// no key is compared as a string behind the table's back.
func TestDispatchAndHelpAgree(t *testing.T) {
	dispatched, literal := matchedBindings(t)
	for _, l := range literal {
		t.Errorf("%s compares a key as a string; match a binding of ui/keys instead", l)
	}
	km := keys.Default()
	inHelp := map[string]bool{}
	for _, g := range km.Groups() {
		for _, b := range g.Bindings {
			inHelp[b.Help().Key+" "+b.Help().Desc] = true
		}
	}
	rows := map[string]keys.Row{}
	for _, r := range keys.Table() {
		field := fieldOf(t, &km, r)
		rows[field] = r
		b := r.Binding(&km)
		switch {
		case r.Group == "" && r.Where == "":
			t.Errorf("%s (%s) is in no help group and names no screen that draws it", r.Action, field)
		case r.Group != "" && !inHelp[b.Help().Key+" "+b.Help().Desc]:
			t.Errorf("%s (%s) is missing from the help overlay", r.Action, field)
		}
		if !dispatched[field] {
			t.Errorf("%s (%s) is in the key table but no dispatch matches it", r.Action, field)
		}
	}
	var missing []string
	for field := range dispatched {
		if _, ok := rows[field]; !ok {
			missing = append(missing, field)
		}
	}
	kmType := reflect.TypeOf(km)
	for i := 0; i < kmType.NumField(); i++ {
		if _, ok := rows[kmType.Field(i).Name]; !ok {
			missing = append(missing, kmType.Field(i).Name)
		}
	}
	sort.Strings(missing)
	for _, f := range missing {
		t.Errorf("%s is matched or declared but has no row in the key table", f)
	}
}

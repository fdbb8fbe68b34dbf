package ui

import "testing"

func TestASCIITerminal(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"LANG": "en_US.UTF-8"}, false},
		{map[string]string{"LANG": "C"}, true},
		{map[string]string{"LC_ALL": "de_DE.ISO-8859-1", "LANG": "en_US.UTF-8"}, true},
		{map[string]string{"LC_CTYPE": "en_US.utf8", "LANG": "C"}, false},
		{map[string]string{"WEND_ASCII": "1", "LANG": "en_US.UTF-8"}, true},
	} {
		if got := asciiTerminal(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: got %v, want %v", c.env, got, c.want)
		}
	}
}

package config

import (
	"fmt"
	"strings"
)

// The terminal interface's preferences. None of them can redirect a secret or
// loosen an approval, so a repository's file may set them (safeInRepo).
//
//	mouse  = false   capture the mouse (wheel scrolling) instead of leaving
//	                 selection and copy to the terminal
//	notify = "auto"  how a session waiting for you is signalled while the
//	                 terminal is unfocused: "auto", "bell" or "off"
//	ascii  = false   avoid glyphs common fonts lack (also WEND_ASCII=1)
//	inline = false   no alternate screen: the transcript goes to the
//	                 terminal's own scrollback (also WEND_INLINE=1, --inline)

// NotifyModes are notify's allowed values, in the order errors list them.
var NotifyModes = []string{"auto", "bell", "off"}

// uiKeys are the preference names, in `wend config`'s order.
var uiKeys = []string{"mouse", "notify", "ascii", "inline"}

// uiEnv maps environment variables to the preferences they set.
var uiEnv = map[string]string{"WEND_INLINE": "inline", "WEND_ASCII": "ascii", "WEND_NOTIFY": "notify", "WEND_MOUSE": "mouse"}

// mergeUIFile applies a file's preferences; at gives a key's file:line.
func (s *Settings) mergeUIFile(f *File, at func(string) string) error {
	for _, b := range []struct {
		key string
		v   *bool
	}{{"mouse", f.Mouse}, {"ascii", f.ASCII}, {"inline", f.Inline}} {
		if b.v != nil {
			s.setUIBool(b.key, *b.v, at(b.key))
		}
	}
	if f.Notify != nil {
		if err := s.setUI("notify", *f.Notify, at("notify")); err != nil {
			return fmt.Errorf("%s: %w", at("notify"), err)
		}
	}
	return nil
}

// mergeUIEnv applies WEND_INLINE and friends; a value that is not one of the
// allowed ones is an error naming the variable.
func (s *Settings) mergeUIEnv(env func(string) string) error {
	for _, name := range sortedKeys(uiEnv) {
		if v := env(name); v != "" {
			if err := s.setUI(uiEnv[name], v, "env "+name); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return nil
}

func (s *Settings) setUIBool(key string, v bool, origin string) {
	switch key {
	case "mouse":
		s.Mouse = v
	case "ascii":
		s.ASCII = v
	case "inline":
		s.Inline = v
	}
	s.Origin[key] = origin
}

// setUI sets a preference from text (a file's notify, the environment, a
// flag); a value outside the allowed ones is an error naming the key and them.
func (s *Settings) setUI(key, value, origin string) error {
	switch key {
	case "notify":
		v := strings.ToLower(strings.TrimSpace(value))
		for _, m := range NotifyModes {
			if v == m {
				s.Notify, s.Origin[key] = v, origin
				return nil
			}
		}
		return fmt.Errorf("notify must be \"auto\", \"bell\" or \"off\", not %q", value)
	case "mouse", "ascii", "inline":
		b, ok := parseBool(value)
		if !ok {
			return fmt.Errorf("%s must be true or false (1 or 0), not %q", key, value)
		}
		s.setUIBool(key, b, origin)
		return nil
	}
	return fmt.Errorf("%s is not a terminal preference", key)
}

func isUIKey(key string) bool {
	for _, k := range uiKeys {
		if k == key {
			return true
		}
	}
	return false
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

// uiRows are the preferences for `wend config`.
func (s *Settings) uiRows(origin func(string) string) [][3]string {
	return [][3]string{
		{"mouse", fmt.Sprint(s.Mouse), origin("mouse")},
		{"notify", s.Notify, origin("notify")},
		{"ascii", fmt.Sprint(s.ASCII), origin("ascii")},
		{"inline", fmt.Sprint(s.Inline), origin("inline")},
	}
}

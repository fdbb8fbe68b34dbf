//go:build !linux

package sandbox

// Changes is empty: only Linux captures a command's writes.
func (c *Capture) Changes() ([]CapturedChange, error) { return nil, nil }

// ChangedSince is false: only Linux captures a command's writes.
func (c *Capture) ChangedSince(string) (bool, error) { return false, nil }

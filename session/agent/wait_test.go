package agent

import "time"

func waitABit() { time.Sleep(5 * time.Millisecond) }

package session

import (
	"encoding/json"
	"reflect"
)

// decodeGeneric unmarshals into a new value of p's concrete type through reflection,
// so adding an event type needs no new case here.
func decodeGeneric(p Payload, b []byte) (Payload, error) {
	ptr := reflect.New(reflect.TypeOf(p))
	if err := json.Unmarshal(b, ptr.Interface()); err != nil {
		return nil, err
	}
	return ptr.Elem().Interface().(Payload), nil
}

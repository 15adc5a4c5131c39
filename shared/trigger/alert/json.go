package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DecodeJSON reads exactly one JSON object, with sentences for the usual mistakes.
func DecodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errors.New("the request body is empty; send the webhook JSON")
	}
	if trimmed[0] != '{' {
		return errors.New("the request body is not a JSON object; send the webhook JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		return JSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the request body has data after the JSON object")
	}
	return nil
}

// JSONError turns a decoding error into a sentence.
func JSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the request body ends in the middle of the JSON; send the whole payload")
	case errors.As(err, &syn):
		return fmt.Errorf("the request body is not valid JSON (at byte %d: %v)", syn.Offset, syn)
	case errors.As(err, &typ):
		return fmt.Errorf("field %q has the wrong type (%s, expected %s)", typ.Field, typ.Value, typ.Type)
	}
	return fmt.Errorf("the request body could not be read: %v", err)
}

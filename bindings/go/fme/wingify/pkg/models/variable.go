package models

// Variable is one variable of a flag's variation.
type Variable struct {
	Key   string      `json:"key"`
	Type  string      `json:"type"`
	Id    int         `json:"id"`
	Value interface{} `json:"value"`
}

// NewVariable creates a Variable.
func NewVariable(key string, value interface{}, varType string, id int) *Variable {
	return &Variable{Key: key, Value: value, Type: varType, Id: id}
}

// GetValue returns the value.
func (v *Variable) GetValue() interface{} { return v.Value }

// SetValue sets the value.
func (v *Variable) SetValue(value interface{}) { v.Value = value }

// GetType returns the declared type ("boolean", "integer", "double", "string", "json").
func (v *Variable) GetType() string { return v.Type }

// SetType sets the type.
func (v *Variable) SetType(varType string) { v.Type = varType }

// GetKey returns the key.
func (v *Variable) GetKey() string { return v.Key }

// SetKey sets the key.
func (v *Variable) SetKey(key string) { v.Key = key }

// GetID returns the id.
func (v *Variable) GetID() int { return v.Id }

// SetID sets the id.
func (v *Variable) SetID(id int) { v.Id = id }

package scim

// Schema URNs of RFC 7643 and RFC 7644.
const (
	UserSchema               = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema              = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema     = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	ListResponseSchema       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	PatchOpSchema            = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	ErrorSchema              = "urn:ietf:params:scim:api:messages:2.0:Error"
	ServiceProviderConfigURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	ResourceTypeSchema       = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SchemaSchema             = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// Resource is the JSON form of one SCIM resource, as decoded into generic Go
// values. Attribute names are case-insensitive on read (RFC 7643 §2.1).
type Resource map[string]any

// PatchOperation is one operation of a SCIM PATCH request (RFC 7644 §3.5.2).
// Op is "add", "replace" or "remove", in any case (Entra capitalises them).
type PatchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// PatchRequest is the body of a SCIM PATCH request (RFC 7644 §3.5.2). Build
// one with [NewPatchRequest]; decode and check one with [ParsePatchRequest].
type PatchRequest struct {
	Schemas    []string         `json:"schemas"`
	Operations []PatchOperation `json:"Operations"`
}

// NewPatchRequest returns a PATCH request body carrying ops under the
// [PatchOpSchema] URN.
func NewPatchRequest(ops ...PatchOperation) PatchRequest {
	return PatchRequest{Schemas: []string{PatchOpSchema}, Operations: ops}
}

// ListResponse is a SCIM list response (RFC 7644 §3.4.2). In JSON the
// resources are under "Resources", as the RFC spells it.
type ListResponse struct {
	Schemas      []string   `json:"schemas"`
	TotalResults int        `json:"totalResults"`
	ItemsPerPage int        `json:"itemsPerPage"`
	StartIndex   int        `json:"startIndex"`
	Resources    []Resource `json:"Resources"`
}

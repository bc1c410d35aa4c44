"""Files -> render -> parse -> validate -> desired state."""

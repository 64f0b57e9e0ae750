module weavefeedback/cgocheck

go 1.19

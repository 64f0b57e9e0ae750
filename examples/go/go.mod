module weavefeedback

go 1.19

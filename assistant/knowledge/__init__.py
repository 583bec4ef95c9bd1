"""The community's FAQ, script library and profiles: formats, validation and loading."""

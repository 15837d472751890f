# The prompt templates, installed with the package as rag.prompt_templates (pyproject.toml), so
# an installed copy finds them without this folder; rag.prompts reads them.

"""Reading GitHub Actions workflows and deciding, statically, what they do.

* :mod:`.yamlnode` - safe, bounded YAML loading into :class:`Node` trees with line numbers;
* :mod:`.model` - :class:`Workflow` / :class:`Job` / :class:`Step` / :class:`Trigger` / :class:`Matrix`;
* :mod:`.expressions` - ``${{ }}`` evaluation where the value is known, :class:`Unknown` where it is not;
* :mod:`.publication` - :func:`publication_plan`: the images and tags a build workflow would push for an event.
"""

"""The sample app, packaged so a fresh install can copy it (see element_studio.app_folder)."""

"""The IM robot family's pages in the editor (`all_pages`: the playground, the feedback pages
and the stylesheet they share) and the card model they draw (`card_model`, which the Types use
at run time too: this package imports nothing, so a robot never loads Flask)."""

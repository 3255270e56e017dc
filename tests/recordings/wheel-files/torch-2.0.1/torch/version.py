__version__ = '2.0.1+cu117'
debug = False
cuda = '11.7'
git_version = 'e9ebda29d87ce0916ab08c06ab26fd3766a870e5'
hip = None
